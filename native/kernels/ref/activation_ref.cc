// Plain references for the dispatched activation loops (std::exp, a numerically stable sigmoid).
#include <cmath>

#include "kernels/kernels.h"

namespace cnn::kernels {

namespace {
float sigmoid_ref(float z) {
  if (z >= 0) return 1.0f / (1.0f + std::exp(-z));
  const float e = std::exp(z);
  return e / (1.0f + e);
}
}  // namespace

void swish_forward_ref(const float* z, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = z[i] * sigmoid_ref(z[i]);
}

void swish_backward_ref(const float* z, float* g, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const float s = sigmoid_ref(z[i]);
    g[i] *= s + z[i] * s * (1.0f - s);
  }
}

}  // namespace cnn::kernels
