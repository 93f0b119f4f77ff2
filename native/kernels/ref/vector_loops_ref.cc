// The loops of impl/vector_loops.h compiled with baseline flags (the portable build: SSE2 on x86-64, NEON on aarch64), registered for CNN_ISA=scalar.
// They are tested against the plain references (maxpool_forward_ref, swish_*_ref, im2col_nhwc,
// adam_update_ref, rmsprop_update_ref, conv_*_direct_ref) under
// every ISA in native/tests/test_vector_loops.cc.
#include "kernels/dispatch.h"
#include "kernels/impl/conv_direct_loops.h"
#include "kernels/impl/conv_input_grad_loops.h"
#include "kernels/impl/optimizer_loops.h"
#include "kernels/impl/vector_loops.h"

namespace cnn::kernels {

void fill_vector_loops_ref(KernelTable& t) {
  t.maxpool_forward = maxpool_forward_loop;
  t.im2col_transposed = im2col_transposed_loop;
  t.swish_forward = swish_forward_loop;
  t.swish_backward = swish_backward_loop;
  t.conv_input_grad_direct = sconv_input_grad_direct_loop;
  t.conv_direct_planes = sconv_direct_planes_loop;
  t.conv_forward_direct = sconv_forward_direct_loop;
  t.conv_weight_grad_direct = sconv_weight_grad_direct_loop;
  t.adam_update = adam_update_loop;
  t.rmsprop_update = rmsprop_update_loop;
}

}  // namespace cnn::kernels
