// The loops of impl/ (impl/all_loops.h lists them) compiled with baseline flags (the portable build: SSE2 on x86-64, NEON on aarch64), registered for CNN_ISA=scalar.
// They are tested against the plain references (maxpool_forward_ref, swish_*_ref, im2col_nhwc,
// adam_update_ref, rmsprop_update_ref, conv_*_direct_ref) under
// every ISA in native/tests/test_vector_loops.cc.
#include "kernels/impl/all_loops.h"

namespace cnn::kernels {

void fill_vector_loops_ref(KernelTable& t) { fill_loops_of_this_isa(t); }

}  // namespace cnn::kernels
