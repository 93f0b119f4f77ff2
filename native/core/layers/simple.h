// Layers without parameters that act elementwise: Flatten, Dropout, Activation.
#pragma once
#include "core/big_buffer.h"
#include "core/activations.h"
#include "core/layers/layer.h"

namespace cnn {

// Activations are already NHWC-contiguous, so flattening is a copy: index (h*W + w)*C + c.
class FlattenLayer : public Layer {
 public:
  FlattenLayer(const LayerSpec& spec, int index);
  void forward(const float* x, float* y, int n, const RunContext& ctx) override;
  void backward(const float* x, const float* y, float* dy, float* dx, int n) override;
};

// Inverted dropout. The mask is a pure function of (seed, iteration, layer index, element), so a run
// resumed at iteration k draws exactly the masks an uninterrupted run would have drawn.
class DropoutLayer : public Layer {
 public:
  DropoutLayer(const LayerSpec& spec, int index, uint64_t network_seed);
  void reserve(int max_batch) override;
  void forward(const float* x, float* y, int n, const RunContext& ctx) override;
  void backward(const float* x, const float* y, float* dy, float* dx, int n) override;
  // The multipliers of the last training forward (0 or 1/(1-rate)); for tests.
  const FloatBuffer& mask() const { return mask_; }

 private:
  uint64_t seed_;
  float scale_;
  FloatBuffer mask_;
};

class ActivationLayer : public Layer {
 public:
  ActivationLayer(const LayerSpec& spec, int index);
  void forward(const float* x, float* y, int n, const RunContext& ctx) override;
  void backward(const float* x, const float* y, float* dy, float* dx, int n) override;

 private:
  Activation act_;
};

}  // namespace cnn
