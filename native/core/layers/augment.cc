#include "core/layers/augment.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "core/layers/preprocessing.h"
#include "core/parallel.h"
#include "core/rng.h"

namespace cnn {

namespace {
constexpr int kDraws = 8;  // stream elements reserved per example
constexpr uint64_t kAugmentTag = 0xA06A;
}  // namespace

RandomImageLayer::RandomImageLayer(const LayerSpec& spec, int index, uint64_t network_seed, int per_example)
    : Layer(spec, index), per_example_(per_example) {
  shape_ = image_shape_of(spec);
  uint64_t base = spec.pre.has_seed ? spec.pre.seed : network_seed;
  seed_ = derive_key(derive_key(base, kAugmentTag), uint64_t(index));
  set_output_shape(spec.input_shape);
}

void RandomImageLayer::reserve(int max_batch) { sampled_.resize(size_t(max_batch) * per_example_); }

double RandomImageLayer::uniform(uint64_t key, int64_t e, int draw) {
  return counter_uniform(key, uint64_t(e) * kDraws + uint64_t(draw));
}

void RandomImageLayer::forward(const float* x, float* y, int n, const RunContext& ctx) {
  last_training_ = ctx.training;
  if (!ctx.training) {
    if (x != y) std::memcpy(y, x, size_t(n) * in_size_ * sizeof(float));
    return;
  }
  if (sampled_.size() < size_t(n) * per_example_) sampled_.resize(size_t(n) * per_example_);
  uint64_t key = derive_key(seed_, uint64_t(ctx.iteration));
  // Example e of a data-parallel shard is example example_offset + e of the global batch: it draws
  // what it would draw in one process.
  for (int e = 0; e < n; ++e) sample(ctx.example_offset + e, key, sampled_.data() + size_t(e) * per_example_);
  apply(x, y, n);
}

void RandomImageLayer::apply(const float* x, float* y, int n) {
  CNN_CHECK(sampled_.size() >= size_t(n) * per_example_, spec_.name + ": no sampled parameters for this batch");
  parallel_for(size_t(n), 1, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) apply_one(x + i * in_size_, y + i * out_size_, sampled_.data() + i * per_example_);
  });
}

void RandomImageLayer::backward(const float* x, const float*, float* dy, float* dx, int n) {
  if (!dx) return;
  if (!last_training_) {
    std::memcpy(dx, dy, size_t(n) * in_size_ * sizeof(float));
    return;
  }
  parallel_for(size_t(n), 1, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i)
      backward_one(x + i * in_size_, dy + i * out_size_, dx + i * in_size_, sampled_.data() + i * per_example_);
  });
}

// RandomFlip: Keras draws one uniform per example and flips when it is <= 0.5; in
// horizontal_and_vertical mode the same draw flips both axes.
RandomFlipLayer::RandomFlipLayer(const LayerSpec& spec, int index, uint64_t network_seed)
    : RandomImageLayer(spec, index, network_seed, 1) {
  const std::string& m = spec.pre.mode;
  CNN_CHECK(m == "horizontal" || m == "vertical" || m == "horizontal_and_vertical", spec.name + ": unknown RandomFlip mode \"" + m + "\"");
  horizontal_ = m != "vertical";
  vertical_ = m != "horizontal";
}

void RandomFlipLayer::sample(int64_t e, uint64_t key, float* p) const { p[0] = uniform(key, e, 0) <= 0.5 ? 1.0f : 0.0f; }

void RandomFlipLayer::apply_one(const float* x, float* y, const float* p) const {
  const int h = shape_.h, w = shape_.w, c = shape_.c;
  const bool flip = p[0] != 0, fh = flip && horizontal_, fv = flip && vertical_;
  for (int r = 0; r < h; ++r)
    for (int col = 0; col < w; ++col) {
      int sr = fv ? h - 1 - r : r, sc = fh ? w - 1 - col : col;
      std::memcpy(y + (size_t(r) * w + col) * c, x + (size_t(sr) * w + sc) * c, size_t(c) * sizeof(float));
    }
}

void RandomFlipLayer::backward_one(const float*, const float* dy, float* dx, const float* p) const {
  apply_one(dy, dx, p);  // a flip is its own inverse and its own transpose
}

void translation_matrix(float dx, float dy, float t[8]) {
  const float m[8] = {1, 0, -dx, 0, 1, -dy, 0, 0};
  std::memcpy(t, m, sizeof m);
}

// BaseImagePreprocessingLayer._compute_affine_matrix with no translation, scale 1 and no shear, in
// float32 as there: rotation about the image centre ((w - 1) / 2, (h - 1) / 2).
void rotation_matrix(float angle_degrees, int h, int w, float t[8]) {
  const float rad = angle_degrees * float(3.141592653589793 / 180.0);
  const float cx = 0.5f * float(w - 1), cy = 0.5f * float(h - 1);
  const float c = std::cos(rad), s = std::sin(rad);
  const float a0 = c, a1 = -s, b0 = s, b1 = c;
  const float m[8] = {a0, a1, cx - cx * a0 - cy * a1, b0, b1, cy - cx * b0 - cy * b1, 0, 0};
  std::memcpy(t, m, sizeof m);
}

// RandomZoom._get_zoom_matrix: zoom about the centre; a factor above 1 shows more (zooms out).
void zoom_matrix(float zoom_w, float zoom_h, int h, int w, float t[8]) {
  const float m[8] = {zoom_w, 0, (float(w) - 1.0f) / 2.0f * (1.0f - zoom_w), 0, zoom_h, (float(h) - 1.0f) / 2.0f * (1.0f - zoom_h), 0, 0};
  std::memcpy(t, m, sizeof m);
}

RandomAffineLayer::RandomAffineLayer(const LayerSpec& spec, int index, uint64_t network_seed)
    : RandomImageLayer(spec, index, network_seed, 8) {
  fill_ = with_layer_name(spec.name, [&] { return parse_fill_mode(spec.pre.fill_mode); });
  interp_ = with_layer_name(spec.name, [&] { return parse_interpolation(spec.pre.interpolation); });
  fill_value_ = float(spec.pre.fill_value);
  CNN_CHECK(spec.type == "RandomTranslation" || spec.type == "RandomRotation" || spec.type == "RandomZoom",
            spec.name + ": not an affine augmentation layer");
}

void RandomAffineLayer::sample(int64_t e, uint64_t key, float* p) const {
  const PreprocessingSpec& s = spec_.pre;
  auto between = [&](const double range[2], int draw) { return float(range[0] + (range[1] - range[0]) * uniform(key, e, draw)); };
  if (spec_.type == "RandomTranslation") {
    float dy = between(s.height_factor, 0) * float(shape_.h);
    float dx = between(s.width_factor, 1) * float(shape_.w);
    translation_matrix(dx, dy, p);
  } else if (spec_.type == "RandomRotation") {
    const double degrees[2] = {s.factor[0] * 360.0, s.factor[1] * 360.0};
    rotation_matrix(between(degrees, 0), shape_.h, shape_.w, p);
  } else {
    const double hz[2] = {1.0 + s.height_factor[0], 1.0 + s.height_factor[1]};
    const double wz[2] = {1.0 + s.width_factor[0], 1.0 + s.width_factor[1]};
    float zh = between(hz, 0);
    float zw = s.has_width_factor ? between(wz, 1) : zh;
    zoom_matrix(zw, zh, shape_.h, shape_.w, p);
  }
}

void RandomAffineLayer::apply_one(const float* x, float* y, const float* p) const {
  affine_forward(x, y, shape_, p, fill_, interp_, fill_value_);
}

void RandomAffineLayer::backward_one(const float*, const float* dy, float* dx, const float* p) const {
  affine_backward(dy, dx, shape_, p, fill_, interp_);
}

RandomColorLayer::RandomColorLayer(const LayerSpec& spec, int index, uint64_t network_seed)
    : RandomImageLayer(spec, index, network_seed, 1), contrast_(spec.type == "RandomContrast") {
  CNN_CHECK(contrast_ || spec.type == "RandomBrightness", spec.name + ": not a colour augmentation layer");
  lo_ = float(spec.pre.value_range[0]);
  hi_ = float(spec.pre.value_range[1]);
  CNN_CHECK(lo_ < hi_, spec.name + ": value_range must be [low, high] with low < high");
}

// RandomContrast: factor uniform in [1 - lower, 1 + upper]; RandomBrightness: delta uniform in
// [lower, upper] times the width of value_range.
void RandomColorLayer::sample(int64_t e, uint64_t key, float* p) const {
  const double* f = spec_.pre.factor;
  double u = uniform(key, e, 0);
  if (contrast_) p[0] = float((1.0 - f[0]) + ((1.0 + f[1]) - (1.0 - f[0])) * u);
  else p[0] = float(f[0] + (f[1] - f[0]) * u) * (hi_ - lo_);
}

std::vector<float> RandomColorLayer::channel_means(const float* x) const {
  const size_t pixels = size_t(shape_.h) * shape_.w;
  std::vector<double> sum(size_t(shape_.c), 0.0);
  for (size_t q = 0; q < pixels; ++q)
    for (int ch = 0; ch < shape_.c; ++ch) sum[size_t(ch)] += x[q * shape_.c + ch];
  std::vector<float> mean(size_t(shape_.c));
  for (int ch = 0; ch < shape_.c; ++ch) mean[size_t(ch)] = float(sum[size_t(ch)] / double(pixels));
  return mean;
}

void RandomColorLayer::apply_one(const float* x, float* y, const float* p) const {
  const size_t pixels = size_t(shape_.h) * shape_.w;
  const int c = shape_.c;
  if (contrast_) {
    std::vector<float> mean = channel_means(x);
    for (size_t q = 0; q < pixels; ++q)
      for (int ch = 0; ch < c; ++ch) {
        size_t i = q * c + ch;
        y[i] = std::min(std::max((x[i] - mean[size_t(ch)]) * p[0] + mean[size_t(ch)], lo_), hi_);
      }
  } else {
    for (size_t i = 0; i < pixels * c; ++i) y[i] = std::min(std::max(x[i] + p[0], lo_), hi_);
  }
}

// Where the output was clipped nothing flows back (as tf.clip_by_value); contrast also sends
// (1 - f) / pixels of every unclipped gradient of a channel to each pixel of it, through the mean.
void RandomColorLayer::backward_one(const float* x, const float* dy, float* dx, const float* p) const {
  const size_t pixels = size_t(shape_.h) * shape_.w;
  const int c = shape_.c;
  auto inside = [&](float z) { return z >= lo_ && z <= hi_; };
  if (!contrast_) {
    for (size_t i = 0; i < pixels * c; ++i) dx[i] = inside(x[i] + p[0]) ? dy[i] : 0.0f;
    return;
  }
  std::vector<float> mean = channel_means(x);
  std::vector<double> passed(size_t(c), 0.0);
  for (size_t q = 0; q < pixels; ++q)
    for (int ch = 0; ch < c; ++ch) {
      size_t i = q * c + ch;
      float g = inside((x[i] - mean[size_t(ch)]) * p[0] + mean[size_t(ch)]) ? dy[i] : 0.0f;
      dx[i] = g * p[0];
      passed[size_t(ch)] += g;
    }
  for (int ch = 0; ch < c; ++ch) {
    float share = float(passed[size_t(ch)] * (1.0 - double(p[0])) / double(pixels));
    for (size_t q = 0; q < pixels; ++q) dx[q * c + ch] += share;
  }
}

}  // namespace cnn
