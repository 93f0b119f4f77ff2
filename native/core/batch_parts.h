// Batch parts: every layer that treats examples independently runs on parts of the batch in parallel,
// one pool task per part (each part on its own replica of the layer, with its own buffers and
// gradients), instead of splitting each small GEMM and im2col call across threads. The parts depend on
// the batch size alone, never on the thread count, and the parts' weight gradients are added in part
// order, so results stay the same for any number of threads. network.cc runs the layers on them.
#pragma once
#include <algorithm>
#include <cstddef>

namespace cnn {

inline constexpr int kPartExamples = 8;  // examples per part, until there are kMaxParts
inline constexpr int kMaxParts = 8;
// A layer with weights runs in parts only when each part uses its weights at least this many times
// (positions x examples): below it (a Dense layer uses them once per example) each part would stream
// all the weights for a few examples, and in training write one gradient per part to be added, so the
// layer runs on the whole batch (in inference, the whole slice) with its GEMMs split across the threads
// instead. Evaluating mnist.json, whose Dense holds 0.8 MB of weights, went from 80,000 to 110,000
// images/s on 2 threads when its Dense stopped running in parts.
inline constexpr size_t kMinPartWeightUses = 256;

struct BatchParts {
  int count = 1;
  int first[kMaxParts + 1] = {0};  // part p holds examples [first[p], first[p + 1])
};

inline BatchParts split_batch(int n) {
  BatchParts b;
  b.count = std::max(1, std::min(kMaxParts, (n + kPartExamples - 1) / kPartExamples));
  int base = n / b.count, extra = n % b.count;
  for (int p = 0; p < b.count; ++p) b.first[p + 1] = b.first[p] + base + (p < extra ? 1 : 0);
  return b;
}

// The most examples a part of any batch of at most n examples holds.
inline int part_capacity(int n) {
  return n <= kPartExamples * kMaxParts ? std::min(n, kPartExamples) : (n + kMaxParts - 1) / kMaxParts;
}

}  // namespace cnn
