// Dense: y = f(x W + b) on the last axis (W is (in, out) as in Keras); leading axes are batch-like.
#pragma once
#include "core/big_buffer.h"
#include "core/activations.h"
#include "core/layers/layer.h"

namespace cnn {

class DenseLayer : public Layer {
 public:
  DenseLayer(const LayerSpec& spec, int index, InitContext& init);
  void reserve(int max_batch) override;
  void forward(const float* x, float* y, int n, const RunContext& ctx) override;
  void backward(const float* x, const float* y, float* dy, float* dx, int n) override;
  size_t weight_uses_per_example() const override { return rows_per_example_; }

 private:
  void forward_transposed_chunks(const float* x, float* zt, int rows);

  Activation act_;
  int in_units_, out_units_;
  size_t rows_per_example_;  // product of the leading axes of one example
  FloatBuffer z_;     // pre-activation, kept for the activation's derivative
  FloatBuffer transposed_;  // y^T or dx^T of a product computed transposed (few rows, see dense.cc)
  FloatBuffer partials_;    // y^T of each chunk of input units (the transposed forward, see dense.cc)
  int input_chunks_ = 1;    // fixed by in_units alone, so results do not depend on the thread count
  std::vector<double> sums_, scratch_;
};

}  // namespace cnn
