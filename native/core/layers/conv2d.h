// Conv2D as im2col + GEMM: cols [rows, KH*KW*C] x kernel [KH*KW*C, F] (Keras's (kh, kw, in, out) layout
// read as a matrix); with at most 8 filters, stride 1 and no dilation, directly without a column matrix
// (kernels::conv_*_direct). The batch is processed in chunks so the column buffer stays under kColumnBudget
// floats whatever the batch size. channels_first transposes (C,H,W) <-> (H,W,C) at the layer boundary;
// the activation runs in the output's own layout (softmax over its last axis, as Keras does).
#pragma once
#include "core/big_buffer.h"
#include "core/activations.h"
#include "core/layers/layer.h"
#include "kernels/kernels.h"

namespace cnn {

class Conv2DLayer : public Layer {
 public:
  Conv2DLayer(const LayerSpec& spec, int index, InitContext& init);
  void reserve(int max_batch) override;
  void forward(const float* x, float* y, int n, const RunContext& ctx) override;
  void backward(const float* x, const float* y, float* dy, float* dx, int n) override;
  size_t weight_uses_per_example() const override { return positions_; }

  static constexpr size_t kColumnBudget = size_t(1) << 21;  // floats (8 MiB)
  static constexpr int kTransposedFilterLimit = 8;

 private:
  kernels::ConvGeometry one_example_geometry() const;
  int chunk_examples() const;
  void im2col_chunk(const float* x_nhwc, int first, int count, float* cols) const;

  Activation act_;
  int in_h_, in_w_, in_c_, filters_;
  kernels::ConvGeometry geo_;  // for a single example
  size_t patch_;               // KH*KW*C
  size_t positions_;           // OH*OW
  FloatBuffer cols_, dcols_;
  FloatBuffer x_nhwc_;  // channels_first only: the transposed input
  FloatBuffer z_nhwc_;  // channels_first only: conv output before the transpose / dZ after it
  FloatBuffer z_;       // pre-activation in the output layout (non-linear activations)
  FloatBuffer dx_nhwc_; // channels_first only
  std::vector<double> sums_;
  std::vector<float> block_sums_;
  // NHWC with relu or linear: bias and activation applied in place on the product (no z_), see conv2d.cc.
  bool in_place_epilogue_ = false;
  // Few filters, stride 1, no dilation: the kernels::conv_*_direct loops, no cols_ or dcols_ (conv2d.cc).
  bool direct_ = false;
  // forward() expanded the whole batch in one chunk: backward() reuses cols_ instead of expanding again.
  bool cols_hold_batch_ = false;
  // Few filters: products are computed transposed (filters as GEMM rows) into these, see conv2d.cc.
  bool transposed_gemm_ = false;
  FloatBuffer zt_, dwt_;
  FloatBuffer planes_;  // direct_: the chunk's zero-padded input planes, from forward() to backward()
  int cols_batch_ = 0;
};

// (n, A, B, C) -> (n, C, A, B) and back, batch-parallel.
void transpose_hwc_to_chw(const float* src, float* dst, int n, int h, int w, int c);
void transpose_chw_to_hwc(const float* src, float* dst, int n, int c, int h, int w);

}  // namespace cnn
