#include "core/activations.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/error.h"
#include "core/parallel.h"
#include "kernels/kernels.h"

namespace cnn {

Activation parse_activation(const std::string& name) {
  if (name == "linear" || name == "None" || name == "none" || name.empty()) return Activation::linear;
  if (name == "relu") return Activation::relu;
  if (name == "sigmoid") return Activation::sigmoid;
  if (name == "tanh") return Activation::tanh;
  if (name == "softmax") return Activation::softmax;
  if (name == "swish" || name == "silu") return Activation::swish;
  if (name == "gelu") return Activation::gelu;
  if (name == "elu") return Activation::elu;
  if (name == "leaky_relu") return Activation::leaky_relu;
  if (name == "softplus") return Activation::softplus;
  throw Error(kErrInvalidArgument, "unknown activation \"" + name + "\"");
}

namespace {

constexpr size_t kGrain = 16384;  // elements per task: enough work to pay for a hand-off

inline float sigmoid(float z) {
  // Stable on both sides: exp of a non-positive number never overflows.
  if (z >= 0) return 1.0f / (1.0f + std::exp(-z));
  float e = std::exp(z);
  return e / (1.0f + e);
}

inline float gelu(float z) { return 0.5f * z * (1.0f + std::erf(z * 0.70710678118654752f)); }
inline float gelu_grad(float z) {
  return 0.5f * (1.0f + std::erf(z * 0.70710678118654752f)) + z * 0.39894228040143268f * std::exp(-0.5f * z * z);
}
inline float softplus(float z) { return std::max(z, 0.0f) + std::log1p(std::exp(-std::fabs(z))); }

void softmax_rows(const float* z, float* y, size_t r0, size_t r1, size_t cols) {
  for (size_t r = r0; r < r1; ++r) {
    const float* zr = z + r * cols;
    float* yr = y + r * cols;
    float m = zr[0];
    for (size_t c = 1; c < cols; ++c) m = std::max(m, zr[c]);
    double sum = 0;
    for (size_t c = 0; c < cols; ++c) {
      yr[c] = std::exp(zr[c] - m);
      sum += yr[c];
    }
    float inv = float(1.0 / sum);
    for (size_t c = 0; c < cols; ++c) yr[c] *= inv;
  }
}

void softmax_grad_rows(const float* y, float* g, size_t r0, size_t r1, size_t cols) {
  for (size_t r = r0; r < r1; ++r) {
    const float* yr = y + r * cols;
    float* gr = g + r * cols;
    double dot = 0;
    for (size_t c = 0; c < cols; ++c) dot += double(gr[c]) * yr[c];
    float d = float(dot);
    for (size_t c = 0; c < cols; ++c) gr[c] = yr[c] * (gr[c] - d);
  }
}

}  // namespace

void activation_forward(Activation a, const float* z, float* y, size_t rows, size_t cols) {
  size_t n = rows * cols;
  if (a == Activation::softmax) {
    parallel_for(rows, std::max<size_t>(1, kGrain / std::max<size_t>(cols, 1)),
                 [&](size_t r0, size_t r1) { softmax_rows(z, y, r0, r1, cols); });
    return;
  }
  parallel_for(n, kGrain, [&](size_t b, size_t e) {
    switch (a) {
      case Activation::linear:
        if (y != z) std::copy(z + b, z + e, y + b);
        break;
      case Activation::relu:
        for (size_t i = b; i < e; ++i) y[i] = z[i] > 0 ? z[i] : 0.0f;
        break;
      case Activation::sigmoid:
        for (size_t i = b; i < e; ++i) y[i] = sigmoid(z[i]);
        break;
      case Activation::tanh:
        for (size_t i = b; i < e; ++i) y[i] = std::tanh(z[i]);
        break;
      case Activation::swish:
        kernels::swish_forward(z + b, y + b, e - b);
        break;
      case Activation::gelu:
        for (size_t i = b; i < e; ++i) y[i] = gelu(z[i]);
        break;
      case Activation::elu:
        for (size_t i = b; i < e; ++i) y[i] = z[i] > 0 ? z[i] : kEluAlpha * std::expm1(z[i]);
        break;
      case Activation::leaky_relu:
        for (size_t i = b; i < e; ++i) y[i] = z[i] >= 0 ? z[i] : kLeakyReluSlope * z[i];
        break;
      case Activation::softplus:
        for (size_t i = b; i < e; ++i) y[i] = softplus(z[i]);
        break;
      case Activation::softmax:
        break;
    }
  });
}

void activation_backward(Activation a, const float* z, const float* y, float* g, size_t rows, size_t cols) {
  size_t n = rows * cols;
  if (a == Activation::linear) return;
  if (a == Activation::softmax) {
    parallel_for(rows, std::max<size_t>(1, kGrain / std::max<size_t>(cols, 1)),
                 [&](size_t r0, size_t r1) { softmax_grad_rows(y, g, r0, r1, cols); });
    return;
  }
  parallel_for(n, kGrain, [&](size_t b, size_t e) {
    switch (a) {
      case Activation::relu:
        for (size_t i = b; i < e; ++i) g[i] = z[i] > 0 ? g[i] : 0.0f;
        break;
      case Activation::sigmoid:
        for (size_t i = b; i < e; ++i) g[i] *= y[i] * (1.0f - y[i]);
        break;
      case Activation::tanh:
        for (size_t i = b; i < e; ++i) g[i] *= 1.0f - y[i] * y[i];
        break;
      case Activation::swish:
        kernels::swish_backward(z + b, g + b, e - b);
        break;
      case Activation::gelu:
        for (size_t i = b; i < e; ++i) g[i] *= gelu_grad(z[i]);
        break;
      case Activation::elu:
        for (size_t i = b; i < e; ++i) g[i] *= z[i] > 0 ? 1.0f : kEluAlpha * std::exp(z[i]);
        break;
      case Activation::leaky_relu:
        for (size_t i = b; i < e; ++i) g[i] *= z[i] >= 0 ? 1.0f : kLeakyReluSlope;
        break;
      case Activation::softplus:
        for (size_t i = b; i < e; ++i) g[i] *= sigmoid(z[i]);
        break;
      default:
        break;
    }
  });
}

}  // namespace cnn
