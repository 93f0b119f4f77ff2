#include "core/layers/simple.h"

#include <algorithm>
#include <cmath>
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
  // One 64-bit hash gives the 32-bit uniforms of two neighbouring elements; element i drops when its
  // uniform falls below rate * 2^32.
  uint64_t key = derive_key(seed_, uint64_t(ctx.iteration));
  uint64_t cut = uint64_t(std::ldexp(spec_.rate, 32));
  // A data-parallel shard starting at example `example_offset` of the global batch draws the masks
  // those examples get in one process: element i is global element base + i.
  uint64_t base = uint64_t(ctx.example_offset) * in_size_;
  if (base % 2 == 1) {
    parallel_for(count, kGrain, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) {
        uint64_t g = base + i, h = counter_bits(key, g / 2);
        mask_[i] = ((g % 2 ? h >> 32 : h & 0xffffffffu) < cut) ? 0.0f : scale_;
        y[i] = x[i] * mask_[i];
      }
    });
    return;
  }
  // Even base: the pairs line up, shifted by base / 2.
  parallel_for((count + 1) / 2, kGrain / 2, [&](size_t b, size_t e) {
    for (size_t pair = b; pair < e; ++pair) {
      uint64_t h = counter_bits(key, pair + base / 2);
      size_t i = 2 * pair;
      mask_[i] = (h & 0xffffffffu) < cut ? 0.0f : scale_;
      y[i] = x[i] * mask_[i];
      if (i + 1 < count) {
        mask_[i + 1] = (h >> 32) < cut ? 0.0f : scale_;
        y[i + 1] = x[i + 1] * mask_[i + 1];
      }
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
