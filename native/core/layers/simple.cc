#include "core/layers/simple.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "core/parallel.h"
#include "core/rng.h"

namespace cnn {

namespace {
constexpr size_t kGrain = 16384;

void parallel_copy(const float* src, float* dst, size_t count) {
  if (src == dst) return;
  parallel_for(count, kGrain * 4, [&](size_t b, size_t e) { std::memcpy(dst + b, src + b, (e - b) * sizeof(float)); });
}
}  // namespace

FlattenLayer::FlattenLayer(const LayerSpec& spec, int index) : Layer(spec, index) {
  set_output_shape({int(in_size_)});
}
void FlattenLayer::forward(const float* x, float* y, int n, const RunContext&) { parallel_copy(x, y, size_t(n) * in_size_); }
void FlattenLayer::backward(const float*, const float*, float* dy, float* dx, int n) {
  if (dx) parallel_copy(dy, dx, size_t(n) * in_size_);
}

DropoutLayer::DropoutLayer(const LayerSpec& spec, int index, uint64_t network_seed) : Layer(spec, index) {
  CNN_CHECK(spec.rate >= 0 && spec.rate < 1, spec.name + ": Dropout rate must be in [0, 1)");
  uint64_t base = spec.has_dropout_seed ? spec.dropout_seed : network_seed;
  seed_ = derive_key(derive_key(base, 0xD809), uint64_t(index));
  scale_ = float(1.0 / (1.0 - spec.rate));
  set_output_shape(spec.input_shape);
}

void DropoutLayer::reserve(int max_batch) { mask_.resize(size_t(max_batch) * in_size_); }

void DropoutLayer::forward(const float* x, float* y, int n, const RunContext& ctx) {
  size_t count = size_t(n) * in_size_;
  if (!ctx.training || spec_.rate == 0) {
    parallel_copy(x, y, count);
    if (ctx.training) std::fill(mask_.begin(), mask_.begin() + count, 1.0f);
    return;
  }
  uint64_t key = derive_key(seed_, uint64_t(ctx.iteration));
  double rate = spec_.rate;
  parallel_for(count, kGrain, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) {
      mask_[i] = counter_uniform(key, i) < rate ? 0.0f : scale_;
      y[i] = x[i] * mask_[i];
    }
  });
}

void DropoutLayer::backward(const float*, const float*, float* dy, float* dx, int n) {
  if (!dx) return;
  parallel_for(size_t(n) * in_size_, kGrain, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) dx[i] = dy[i] * mask_[i];
  });
}

ActivationLayer::ActivationLayer(const LayerSpec& spec, int index)
    : Layer(spec, index), act_(parse_activation(spec.activation)) {
  set_output_shape(spec.input_shape);
}

void ActivationLayer::forward(const float* x, float* y, int n, const RunContext&) {
  size_t last = size_t(spec_.input_shape.back());
  activation_forward(act_, x, y, size_t(n) * in_size_ / last, last);
}

void ActivationLayer::backward(const float* x, const float* y, float* dy, float* dx, int n) {
  if (!dx) return;
  size_t last = size_t(spec_.input_shape.back());
  if (!dy_is_preactivation) activation_backward(act_, x, y, dy, size_t(n) * in_size_ / last, last);
  parallel_copy(dy, dx, size_t(n) * in_size_);
}

}  // namespace cnn
