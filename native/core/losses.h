// Cross-entropy for integer labels (sparse_categorical_crossentropy, and categorical_crossentropy with
// the one-hot of the label, which gives the same value). Reproduces Keras's loss value: probabilities
// are normalized to sum to 1 and clipped to [1e-7, 1 - 1e-7] before the log.
#pragma once
#include <cstdint>
#include <string>

namespace cnn {

inline constexpr float kCrossEntropyEpsilon = 1e-7f;

// Accepts "sparse_categorical_crossentropy" and "categorical_crossentropy"; throws otherwise.
void check_loss_name(const std::string& name);

struct LossValue {
  double mean = 0;  // mean over the batch
  int correct = 0;  // argmax (first maximum) == label
};

// out: [n, classes] outputs of the last layer (probabilities). grad (nullable) receives dL/d(pre-softmax
// logits) = (p - onehot)/n when fused_softmax (the last activation is softmax and the two are fused), else
// dL/d(out), zero where the clip was active. Labels must already be checked to lie in [0, classes).
LossValue cross_entropy(const float* out, const int32_t* labels, int n, int classes, bool fused_softmax,
                        float* grad);

}  // namespace cnn
