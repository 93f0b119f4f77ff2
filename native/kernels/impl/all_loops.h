// Every loop source of impl/, and the one list that registers them in a kernel table: each ISA's
// vector_loops file includes this with its own flags and calls fill_loops_of_this_isa(), so adding a
// loop means adding it here once, not to every ISA's file.
#pragma once
#include "kernels/dispatch.h"
#include "kernels/impl/conv_direct_loops.h"
#include "kernels/impl/conv_input_grad_loops.h"
#include "kernels/impl/optimizer_loops.h"
#include "kernels/impl/vector_loops.h"

namespace cnn::kernels {

// Internal linkage (static), like the loops: every ISA's file has its own copy, compiled its way.
static void fill_loops_of_this_isa(KernelTable& t) {
  t.maxpool_forward = maxpool_forward_loop;
  t.maxpool_backward = maxpool_backward_loop;
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
