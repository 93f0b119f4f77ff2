// BatchNormalization over the last axis. Training normalizes with the batch's mean and (biased)
// variance; the moving statistics are updated by commit(), only once the step is known to be finite.
// Parameters, in Keras order: gamma (scale=true), beta (center=true), moving_mean, moving_variance.
#pragma once
#include "core/big_buffer.h"
#include "core/layers/layer.h"

namespace cnn {

class BatchNormLayer : public Layer {
 public:
  BatchNormLayer(const LayerSpec& spec, int index, InitContext& init);
  void reserve(int max_batch) override;
  void forward(const float* x, float* y, int n, const RunContext& ctx) override;
  void backward(const float* x, const float* y, float* dy, float* dx, int n) override;
  void commit() override;
  bool couples_examples(const RunContext& ctx) const override { return ctx.training; }

 private:
  int channels_;
  int gamma_ = -1, beta_ = -1, moving_mean_, moving_var_;  // indices into params_
  FloatBuffer xhat_;              // normalized input of the last training forward
  std::vector<float> inference_affine_;  // [scale C | shift C] from the moving statistics
  std::vector<float> pass_factors_;      // 3 x C per-channel factors of the training passes
  std::vector<double> batch_mean_, batch_var_, rstd_, s1_, s2_, scratch_;
  bool pending_ = false;
};

}  // namespace cnn
