// Test-only reference forwards in double precision, written straight from the Keras definitions with
// plain loops (no im2col, no GEMM, no shared code with the layers), plus a gradient checker.
//
// How the gradient checks work, and why they mean something: the layer under test runs in float and
// its backward() gives the analytic gradient of L = sum_i r_i * y_i (r random, so every output matters).
// The "true" gradient is a central finite difference of the same L computed with the double-precision
// reference forward below, with h = 1e-6: truncation error O(h^2) and rounding error O(1e-16/h) are both
// far below float precision, so the FD is exact to ~1e-9 and any disagreement beyond float rounding
// (atol 2e-4 + rtol 2e-3) is a bug in backward(). The reference forward is itself checked against the
// layer's float forward first, so the FD differentiates the same function the layer computes.
#pragma once
#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "core/layers/layer.h"
#include "core/rng.h"
#include "tests/harness.h"

namespace cnn_test {

using Vec = std::vector<double>;

inline std::vector<float> random_floats(size_t n, uint64_t seed, double lo = -1, double hi = 1) {
  cnn::Rng rng(seed);
  std::vector<float> v(n);
  for (float& f : v) f = float(rng.uniform(lo, hi));
  return v;
}

// Keras activations in double, over rows of `cols` (softmax on the last axis).
inline void ref_activation(const std::string& a, Vec& z, size_t cols) {
  if (a == "softmax") {
    for (size_t r = 0; r < z.size() / cols; ++r) {
      double m = -1e300, s = 0;
      for (size_t c = 0; c < cols; ++c) m = std::max(m, z[r * cols + c]);
      for (size_t c = 0; c < cols; ++c) s += std::exp(z[r * cols + c] - m);
      for (size_t c = 0; c < cols; ++c) z[r * cols + c] = std::exp(z[r * cols + c] - m) / s;
    }
    return;
  }
  for (double& v : z) {
    double x = v;
    if (a == "relu") v = x > 0 ? x : 0;
    else if (a == "sigmoid") v = 1 / (1 + std::exp(-x));
    else if (a == "tanh") v = std::tanh(x);
    else if (a == "swish" || a == "silu") v = x / (1 + std::exp(-x));
    else if (a == "gelu") v = 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
    else if (a == "elu") v = x > 0 ? x : std::exp(x) - 1;
    else if (a == "leaky_relu") v = x > 0 ? x : 0.2 * x;
    else if (a == "softplus") v = std::log(1 + std::exp(x));
  }
}

// Keras padding: "same" pads (out-1)*s + (k-1)*d + 1 - in in total, the odd one at the bottom/right.
inline void ref_padding(int in, int k, int s, int d, bool same, int& out, int& before) {
  int span = (k - 1) * d + 1;
  if (same) {
    out = (in + s - 1) / s;
    before = std::max(0, (out - 1) * s + span - in) / 2;
  } else {
    out = (in - span) / s + 1;
    before = 0;
  }
}

// Direct convolution. x per example in the spec's layout; W (kh,kw,in,out); returns the activated output.
inline Vec ref_conv2d(const cnn::LayerSpec& sp, const Vec& x, int n, const Vec& w, const Vec* b) {
  const auto& s = sp.input_shape;
  int C = sp.channels_first ? s[0] : s[2], H = sp.channels_first ? s[1] : s[0], W = sp.channels_first ? s[2] : s[1];
  int KH = sp.kernel_size[0], KW = sp.kernel_size[1], F = sp.filters, OH, OW, pt, pl;
  ref_padding(H, KH, sp.strides[0], sp.dilation_rate[0], sp.padding_same, OH, pt);
  ref_padding(W, KW, sp.strides[1], sp.dilation_rate[1], sp.padding_same, OW, pl);
  auto in_at = [&](int i, int y, int xx, int c) {
    size_t idx = sp.channels_first ? ((size_t(i) * C + c) * H + y) * W + xx : ((size_t(i) * H + y) * W + xx) * C + c;
    return x[idx];
  };
  Vec out(size_t(n) * OH * OW * F);
  for (int i = 0; i < n; ++i)
    for (int oy = 0; oy < OH; ++oy)
      for (int ox = 0; ox < OW; ++ox)
        for (int f = 0; f < F; ++f) {
          double acc = b ? (*b)[f] : 0.0;
          for (int ky = 0; ky < KH; ++ky)
            for (int kx = 0; kx < KW; ++kx) {
              int iy = oy * sp.strides[0] - pt + ky * sp.dilation_rate[0];
              int ix = ox * sp.strides[1] - pl + kx * sp.dilation_rate[1];
              if (iy < 0 || ix < 0 || iy >= H || ix >= W) continue;
              for (int c = 0; c < C; ++c) acc += in_at(i, iy, ix, c) * w[((size_t(ky) * KW + kx) * C + c) * F + f];
            }
          size_t o = sp.channels_first ? ((size_t(i) * F + f) * OH + oy) * OW + ox : ((size_t(i) * OH + oy) * OW + ox) * F + f;
          out[o] = acc;
        }
  ref_activation(sp.activation, out, size_t(sp.channels_first ? OW : F));
  return out;
}

inline Vec ref_dense(const cnn::LayerSpec& sp, const Vec& x, const Vec& w, const Vec* b) {
  int in = sp.input_shape.back(), out = sp.units;
  size_t rows = x.size() / size_t(in);
  Vec y(rows * out);
  for (size_t r = 0; r < rows; ++r)
    for (int o = 0; o < out; ++o) {
      double acc = b ? (*b)[o] : 0.0;
      for (int k = 0; k < in; ++k) acc += x[r * in + k] * w[size_t(k) * out + o];
      y[r * out + o] = acc;
    }
  ref_activation(sp.activation, y, size_t(out));
  return y;
}

inline Vec ref_pool(const cnn::LayerSpec& sp, const Vec& x, int n, bool is_max) {
  int H = sp.input_shape[0], W = sp.input_shape[1], C = sp.input_shape[2], OH, OW, pt, pl;
  ref_padding(H, sp.pool_size[0], sp.strides[0], 1, sp.padding_same, OH, pt);
  ref_padding(W, sp.pool_size[1], sp.strides[1], 1, sp.padding_same, OW, pl);
  Vec y(size_t(n) * OH * OW * C);
  for (int i = 0; i < n; ++i)
    for (int oy = 0; oy < OH; ++oy)
      for (int ox = 0; ox < OW; ++ox)
        for (int c = 0; c < C; ++c) {
          double best = -1e300, sum = 0;
          int cells = 0;
          for (int ky = 0; ky < sp.pool_size[0]; ++ky)
            for (int kx = 0; kx < sp.pool_size[1]; ++kx) {
              int iy = oy * sp.strides[0] - pt + ky, ix = ox * sp.strides[1] - pl + kx;
              if (iy < 0 || ix < 0 || iy >= H || ix >= W) continue;
              double v = x[((size_t(i) * H + iy) * W + ix) * C + c];
              best = std::max(best, v);
              sum += v;
              ++cells;
            }
          y[((size_t(i) * OH + oy) * OW + ox) * C + c] = is_max ? best : sum / cells;
        }
  return y;
}

// BatchNormalization in training mode: batch mean and biased variance over every axis but the last.
inline Vec ref_batch_norm_train(const Vec& x, size_t C, const Vec* gamma, const Vec* beta, double eps) {
  size_t rows = x.size() / C;
  Vec y(x.size());
  for (size_t c = 0; c < C; ++c) {
    double mean = 0, var = 0;
    for (size_t r = 0; r < rows; ++r) mean += x[r * C + c];
    mean /= double(rows);
    for (size_t r = 0; r < rows; ++r) var += (x[r * C + c] - mean) * (x[r * C + c] - mean);
    var /= double(rows);
    for (size_t r = 0; r < rows; ++r)
      y[r * C + c] = (x[r * C + c] - mean) / std::sqrt(var + eps) * (gamma ? (*gamma)[c] : 1.0) + (beta ? (*beta)[c] : 0.0);
  }
  return y;
}

// The reference takes the input and every parameter (Keras order) in double.
using RefForward = std::function<Vec(const Vec& x, const std::vector<Vec>& params)>;

inline Vec to_double(const std::vector<float>& v) { return Vec(v.begin(), v.end()); }

// Runs `layer` forward (training) and backward on x, and checks: forward against `ref`, dL/dx and every
// trainable parameter's gradient against central differences of the reference. At most `max_checks`
// coordinates per tensor are probed (spread over the whole tensor) to keep the test fast.
inline void check_layer_gradients(cnn::Layer& layer, std::vector<float> x, int n, const RefForward& ref,
                                  const std::string& what, size_t max_checks = 48) {
  size_t in = layer.in_size() * n, out = layer.out_size() * n;
  layer.reserve(n);
  std::vector<float> y(out), dx(in);
  layer.forward(x.data(), y.data(), n, cnn::RunContext{true, 0});
  std::vector<Vec> params;
  for (auto& p : layer.params()) params.push_back(to_double(p.value));
  Vec yref = ref(to_double(x), params);
  std::vector<float> yref_f(yref.begin(), yref.end());
  EXPECT_ARRAYS_CLOSE(y.data(), yref_f.data(), out, 1e-5, 1e-4, what + ": forward vs reference");
  std::vector<float> r = random_floats(out, 99);
  std::vector<float> dy = r;
  layer.backward(x.data(), y.data(), dy.data(), dx.data(), n);

  auto loss = [&](const Vec& xd, const std::vector<Vec>& ps) {
    Vec yy = ref(xd, ps);
    double l = 0;
    for (size_t i = 0; i < yy.size(); ++i) l += yy[i] * r[i];
    return l;
  };
  const double h = 1e-6;
  auto probe = [&](size_t size, const float* analytic, const std::function<double&(Vec&, std::vector<Vec>&, size_t)>& at,
                   const std::string& tensor) {
    size_t step = std::max<size_t>(1, size / max_checks);
    std::vector<float> got, want;
    for (size_t i = (size > max_checks ? step / 2 : 0); i < size; i += step) {
      Vec xd = to_double(x);
      std::vector<Vec> ps = params;
      double& v = at(xd, ps, i);
      double v0 = v;
      v = v0 + h;
      double lp = loss(xd, ps);
      v = v0 - h;
      double lm = loss(xd, ps);
      want.push_back(float((lp - lm) / (2 * h)));
      got.push_back(analytic[i]);
    }
    EXPECT_ARRAYS_CLOSE(got.data(), want.data(), got.size(), 2e-4, 2e-3, what + ": d/d" + tensor);
  };
  probe(in, dx.data(), [](Vec& xd, std::vector<Vec>&, size_t i) -> double& { return xd[i]; }, "input");
  for (size_t p = 0; p < layer.params().size(); ++p) {
    if (!layer.params()[p].info.trainable) continue;
    probe(layer.params()[p].value.size(), layer.params()[p].grad.data(),
          [p](Vec&, std::vector<Vec>& ps, size_t i) -> double& { return ps[p][i]; }, layer.params()[p].info.name);
  }
}

}  // namespace cnn_test
