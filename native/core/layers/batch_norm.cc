#include "core/layers/batch_norm.h"

#include <cmath>

#include "core/error.h"
#include "core/initializers.h"
#include "core/parallel.h"

namespace cnn {

BatchNormLayer::BatchNormLayer(const LayerSpec& spec, int index, InitContext& init) : Layer(spec, index) {
  CNN_CHECK(spec.epsilon > 0, spec.name + ": epsilon must be positive");
  CNN_CHECK(spec.momentum >= 0 && spec.momentum <= 1, spec.name + ": momentum must be in [0, 1]");
  channels_ = spec.input_shape.back();
  set_output_shape(spec.input_shape);
  // Every parameter takes a key, used or not, so adding a layer never shifts the others' keys.
  InitializerSpec ones, zeros;
  ones.kind = "ones";
  zeros.kind = "zeros";
  auto add = [&](const char* name, bool trainable, const InitializerSpec& how) {
    add_param(name, {channels_}, trainable);
    initialize(how, {channels_}, init.next_key(), params_.back().value, spec.name + "." + name);
    return int(params_.size()) - 1;
  };
  if (spec.scale) gamma_ = add("gamma", true, ones);
  if (spec.center) beta_ = add("beta", true, zeros);
  moving_mean_ = add("moving_mean", false, zeros);
  moving_var_ = add("moving_variance", false, ones);
  inference_affine_.assign(2 * size_t(channels_), 0.0f);
  pass_factors_.assign(3 * size_t(channels_), 0.0f);
  for (auto* v : {&batch_mean_, &batch_var_, &rstd_, &s1_, &s2_}) v->assign(size_t(channels_), 0.0);
}

void BatchNormLayer::reserve(int max_batch) { xhat_.resize(size_t(max_batch) * in_size_); }

void BatchNormLayer::forward(const float* x, float* y, int n, const RunContext& ctx) {
  size_t rows = size_t(n) * in_size_ / size_t(channels_), C = size_t(channels_);
  const float* gamma = gamma_ >= 0 ? param_value(size_t(gamma_)) : nullptr;
  const float* beta = beta_ >= 0 ? param_value(size_t(beta_)) : nullptr;
  if (ctx.training) {
    column_sums(x, rows, C, scratch_, s1_.data());
    for (size_t c = 0; c < C; ++c) batch_mean_[c] = s1_[c] / double(rows);
    // Centre first, then square: no cancellation when the mean is large. One pass for both.
    center_columns(x, rows, C, batch_mean_.data(), xhat_.data(), scratch_, s2_.data());
    for (size_t c = 0; c < C; ++c) {
      batch_var_[c] = s2_[c] / double(rows);
      rstd_[c] = 1.0 / std::sqrt(batch_var_[c] + spec_.epsilon);
    }
    // Per-channel factors in float, so the pass over the activations vectorises.
    float* scale = pass_factors_.data();
    float* g = scale + C;
    float* shift = g + C;
    for (size_t c = 0; c < C; ++c) {
      scale[c] = float(rstd_[c]);
      g[c] = gamma ? gamma[c] : 1.0f;
      shift[c] = beta ? beta[c] : 0.0f;
    }
    float* xh = xhat_.data();
    parallel_for_pinned(rows, 256, [&](size_t r0, size_t r1) {
      for (size_t r = r0; r < r1; ++r)
        for (size_t c = 0; c < C; ++c) {
          const float h = xh[r * C + c] * scale[c];
          xh[r * C + c] = h;
          y[r * C + c] = h * g[c] + shift[c];
        }
    });
    pending_ = true;
    return;
  }
  const float* mm = param_value(size_t(moving_mean_));
  const float* mv = param_value(size_t(moving_var_));
  // Keras's inference form: y = x * inv + (beta - mean * inv), inv = gamma / sqrt(var + eps).
  std::vector<float>& inv_shift = inference_affine_;
  for (size_t c = 0; c < C; ++c) {
    float inv = float(1.0 / std::sqrt(double(mv[c]) + spec_.epsilon)) * (gamma ? gamma[c] : 1.0f);
    inv_shift[c] = inv;
    inv_shift[C + c] = (beta ? beta[c] : 0.0f) - mm[c] * inv;
  }
  parallel_for_pinned(rows, 256, [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; ++r)
      for (size_t c = 0; c < C; ++c) y[r * C + c] = x[r * C + c] * inv_shift[c] + inv_shift[C + c];
  });
}

void BatchNormLayer::backward(const float*, const float*, float* dy, float* dx, int n) {
  size_t rows = size_t(n) * in_size_ / size_t(channels_), C = size_t(channels_);
  column_sums2(dy, xhat_.data(), rows, C, scratch_, s1_.data(), s2_.data());  // sum dy, sum dy*xhat
  if (gamma_ >= 0)
    for (size_t c = 0; c < C; ++c) params_[gamma_].grad[c] = float(s2_[c]);
  if (beta_ >= 0)
    for (size_t c = 0; c < C; ++c) params_[beta_].grad[c] = float(s1_[c]);
  if (!dx) return;
  const float* gamma = gamma_ >= 0 ? param_value(size_t(gamma_)) : nullptr;
  // dx = gamma * rstd * (dy - (sum dy + xhat * sum dy*xhat) / N), with the per-channel factors formed in
  // double and rounded to float once, so the pass over the activations vectorises.
  const double inv_rows = 1.0 / double(rows);
  float* g = pass_factors_.data();
  float* mean_dy = g + C;
  float* mean_dy_xhat = mean_dy + C;
  for (size_t c = 0; c < C; ++c) {
    g[c] = float((gamma ? gamma[c] : 1.0f) * rstd_[c]);
    mean_dy[c] = float(s1_[c] * inv_rows);
    mean_dy_xhat[c] = float(s2_[c] * inv_rows);
  }
  const float* xh = xhat_.data();
  parallel_for_pinned(rows, 256, [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; ++r)
      for (size_t c = 0; c < C; ++c)
        dx[r * C + c] = g[c] * (dy[r * C + c] - (mean_dy[c] + xh[r * C + c] * mean_dy_xhat[c]));
  });
}

void BatchNormLayer::commit() {
  if (!pending_) return;
  pending_ = false;
  float m = float(spec_.momentum);
  float* mm = params_[moving_mean_].value.data();
  float* mv = params_[moving_var_].value.data();
  for (int c = 0; c < channels_; ++c) {
    mm[c] = mm[c] * m + float(batch_mean_[c]) * (1.0f - m);
    mv[c] = mv[c] * m + float(batch_var_[c]) * (1.0f - m);
  }
}

}  // namespace cnn
