// The loops of impl/ (impl/all_loops.h lists them) compiled with this folder's flags, registered for CNN_ISA=avx512.
// They are tested against the plain references (maxpool_forward_ref, swish_*_ref, im2col_nhwc,
// adam_update_ref, rmsprop_update_ref, conv_*_direct_ref) under
// every ISA in native/tests/test_vector_loops.cc.
#include "kernels/impl/all_loops.h"

namespace cnn::kernels {

void fill_vector_loops_avx512(KernelTable& t) { fill_loops_of_this_isa(t); }

}  // namespace cnn::kernels
