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
// In training, a layer with weights runs in parts only when each part's weight gradient is a sum over
// at least this many terms: below it, writing one gradient per part and adding them costs more than
// the parallel parts save (a Dense layer sums one term per example), and the layer runs on the whole
// batch with its GEMMs split across the threads instead.
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
