// MaxPooling2D, AveragePooling2D (channels_last, strides default to pool_size as the TypeScript side
// fills in) and GlobalAveragePooling2D. Examples are pooled in parallel, one task per example.
#pragma once
#include "core/big_buffer.h"
#include "core/layers/layer.h"
#include "kernels/kernels.h"

namespace cnn {

class Pool2DLayer : public Layer {
 public:
  Pool2DLayer(const LayerSpec& spec, int index, bool is_max);
  void reserve(int max_batch) override;
  void forward(const float* x, float* y, int n, const RunContext& ctx) override;
  void backward(const float* x, const float* y, float* dy, float* dx, int n) override;

 private:
  bool is_max_;
  kernels::PoolGeometry geo_;  // for a single example
  std::vector<int32_t, BigBufferAllocator<int32_t>> argmax_;
};

class GlobalAveragePooling2DLayer : public Layer {
 public:
  GlobalAveragePooling2DLayer(const LayerSpec& spec, int index);
  void forward(const float* x, float* y, int n, const RunContext& ctx) override;
  void backward(const float* x, const float* y, float* dy, float* dx, int n) override;

 private:
  int plane_, channels_;
};

}  // namespace cnn
