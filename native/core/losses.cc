#include "core/losses.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace cnn {

void check_loss_name(const std::string& name) {
  if (name == "sparse_categorical_crossentropy" || name == "categorical_crossentropy") return;
  throw Error(kErrInvalidArgument, "unknown loss \"" + name +
                                       "\" (expected sparse_categorical_crossentropy or categorical_crossentropy)");
}

LossValue cross_entropy(const float* out, const int32_t* labels, int n, int classes, bool fused_softmax,
                        float* grad) {
  LossValue r;
  if (n <= 0) return r;
  const float hi = 1.0f - kCrossEntropyEpsilon;  // rounded to float32, as Keras computes it
  double total = 0, inv_n = 1.0 / n;
  for (int i = 0; i < n; ++i) {
    const float* p = out + size_t(i) * classes;
    int y = labels[i];
    int best = 0;
    double sum = 0;
    for (int c = 0; c < classes; ++c) {
      if (p[c] > p[best]) best = c;
      sum += p[c];
    }
    if (best == y) ++r.correct;
    float q = float(p[y] / sum);
    bool clipped = !(q > kCrossEntropyEpsilon && q < hi);
    q = std::min(std::max(q, kCrossEntropyEpsilon), hi);
    total -= std::log(double(q));
    if (!grad) continue;
    float* g = grad + size_t(i) * classes;
    if (fused_softmax) {
      // Softmax and cross-entropy together: the gradient of the logits is p - onehot (the clip only
      // guards the reported value, as when Keras computes the loss from the logits).
      for (int c = 0; c < classes; ++c) g[c] = float((p[c] - (c == y ? 1.0 : 0.0)) * inv_n);
    } else if (clipped || !std::isfinite(q)) {
      std::fill(g, g + classes, 0.0f);
    } else {
      // L = -log(p_y) + log(sum p): dL/dp_c = 1/sum - [c == y]/p_y.
      for (int c = 0; c < classes; ++c) g[c] = float((1.0 / sum - (c == y ? 1.0 / p[y] : 0.0)) * inv_n);
    }
  }
  r.mean = total * inv_n;
  return r;
}

}  // namespace cnn
