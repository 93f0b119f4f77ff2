// Batch parts (network.cc): a batch of more than 8 examples runs each per-example layer on parts of
// it in parallel, each part on its own replica of the layer, and adds the parts' weight gradients in
// part order. These tests check that a step on parts is the step on the whole batch (the gradient of
// the batch's mean loss is the mean of its parts' gradients), that results are bit-identical for any
// thread count and for uneven parts, that inference on parts equals one example at a time, and that
// BatchNormalization still normalizes with the whole batch's statistics.
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/batch_parts.h"
#include "core/network.h"
#include "core/rng.h"
#include "core/thread_pool.h"
#include "tests/harness.h"

using namespace cnn;
using namespace cnn_test;

namespace {

LayerSpec layer(const char* type, const char* name) {
  LayerSpec l;
  l.type = type;
  l.name = name;
  return l;
}

LayerSpec conv(const char* name, int filters, const char* activation) {
  LayerSpec l = layer("Conv2D", name);
  l.filters = filters;
  l.kernel_size[0] = l.kernel_size[1] = 3;
  l.activation = activation;
  return l;
}

LayerSpec dense(const char* name, int units, const char* activation) {
  LayerSpec l = layer("Dense", name);
  l.units = units;
  l.activation = activation;
  return l;
}

// 12x12x2 input: a 3-filter conv (the transposed-GEMM path), a 16-filter conv, max pooling, flatten and
// two Dense layers; optionally BatchNormalization and Dropout. Positions per example are 100 and 64,
// so both convolutions run in parts and the Dense layers on the whole batch.
NetworkSpec parts_spec(bool batch_norm, bool dropout, const char* optimizer) {
  NetworkSpec s;
  s.input_shape = {12, 12, 2};
  s.layers.push_back(conv("conv2d", 3, "swish"));
  if (batch_norm) s.layers.push_back(layer("BatchNormalization", "batch_normalization"));
  s.layers.push_back(conv("conv2d_1", 16, "relu"));
  LayerSpec pool = layer("MaxPooling2D", "max_pooling2d");
  pool.strides[0] = pool.strides[1] = 2;
  s.layers.push_back(pool);
  s.layers.push_back(layer("Flatten", "flatten"));
  if (dropout) {
    LayerSpec d = layer("Dropout", "dropout");
    d.rate = 0.3;
    s.layers.push_back(d);
  }
  s.layers.push_back(dense("dense", 12, "relu"));
  s.layers.push_back(dense("dense_1", 4, "softmax"));
  s.optimizer.type = optimizer;
  s.optimizer.learning_rate = 0.01;
  s.seed = 21;
  return s;
}

void random_batch(int n, uint64_t seed, std::vector<float>& x, std::vector<int32_t>& y) {
  Rng rng(seed);
  x.resize(size_t(n) * 12 * 12 * 2);
  y.resize(size_t(n));
  for (float& v : x) v = float(rng.uniform(-1, 1));
  for (int32_t& c : y) c = int32_t(rng.next_u64() % 4);
}

std::vector<std::vector<float>> snapshot(Network& net) {
  std::vector<std::vector<float>> all;
  for (size_t i = 0; i < net.params().size(); ++i)
    all.emplace_back(net.param_data(i), net.param_data(i) + net.param_size(i));
  return all;
}

// Trains batches of 32, 13 (uneven parts), 9 and 8 (one part) on `threads` threads.
std::vector<std::vector<float>> train_on(int threads, const NetworkSpec& spec) {
  ThreadPool::set_global_threads(threads);
  Network net(spec);
  int sizes[] = {32, 13, 32, 9, 8, 32};
  uint64_t seed = 100;
  for (int n : sizes) {
    std::vector<float> x;
    std::vector<int32_t> y;
    random_batch(n, seed++, x, y);
    net.train_batch(x.data(), y.data(), n);
  }
  ThreadPool::set_global_threads(ThreadPool::default_threads());
  return snapshot(net);
}

}  // namespace

TEST(batch_parts_train_bit_identically_on_any_thread_count) {
  for (bool bn : {false, true}) {
    NetworkSpec spec = parts_spec(bn, true, "adam");
    auto one = train_on(1, spec);
    EXPECT_TRUE(one == train_on(2, spec));
    EXPECT_TRUE(one == train_on(3, spec));
    EXPECT_TRUE(one == train_on(5, spec));
  }
}

// Plain SGD with learning rate 1: a step changes each weight by minus its gradient. The gradient of a
// batch of 32's mean loss equals the mean of the gradients of its four 8-example quarters (each a
// single part), up to float rounding.
TEST(batch_parts_step_equals_the_whole_batch_gradient) {
  NetworkSpec spec = parts_spec(false, false, "sgd");
  spec.optimizer.learning_rate = 1.0;
  std::vector<float> x;
  std::vector<int32_t> y;
  random_batch(32, 7, x, y);
  Network whole(spec);
  auto before = snapshot(whole);
  whole.train_batch(x.data(), y.data(), 32);
  auto after = snapshot(whole);
  std::vector<std::vector<float>> mean_step(before.size());
  for (size_t i = 0; i < before.size(); ++i) mean_step[i].assign(before[i].size(), 0.0f);
  for (int q = 0; q < 4; ++q) {
    Network quarter(spec);
    quarter.train_batch(x.data() + size_t(q) * 8 * 288, y.data() + q * 8, 8);
    auto moved = snapshot(quarter);
    for (size_t i = 0; i < before.size(); ++i)
      for (size_t j = 0; j < before[i].size(); ++j) mean_step[i][j] += (moved[i][j] - before[i][j]) / 4.0f;
  }
  for (size_t i = 0; i < before.size(); ++i) {
    std::vector<float> step(before[i].size());
    for (size_t j = 0; j < step.size(); ++j) step[j] = after[i][j] - before[i][j];
    EXPECT_TRUE(arrays_close(step.data(), mean_step[i].data(), step.size(), 2e-6, 2e-4, __FILE__, __LINE__,
                             "parameter " + std::to_string(i)));
  }
}

// Inference on a batch of 64 runs in 8 parts; each example's probabilities equal those of the example
// alone (one part), with BatchNormalization's moving statistics read by every part's replica.
TEST(batch_parts_inference_equals_one_example_at_a_time) {
  NetworkSpec spec = parts_spec(true, true, "adam");
  Network net(spec);
  std::vector<float> x;
  std::vector<int32_t> y;
  random_batch(32, 11, x, y);
  for (int step = 0; step < 3; ++step) net.train_batch(x.data(), y.data(), 32);  // moves the BN statistics
  random_batch(64, 12, x, y);
  std::vector<float> probs(64 * 4), one(4);
  net.evaluate_batch(x.data(), y.data(), 64, probs.data());
  for (int i = 0; i < 64; ++i) {
    net.evaluate_batch(x.data() + size_t(i) * 288, nullptr, 1, one.data());
    EXPECT_TRUE(arrays_close(probs.data() + i * 4, one.data(), 4, 1e-6, 1e-5, __FILE__, __LINE__,
                             "example " + std::to_string(i)));
  }
}

// With BatchNormalization in training, the statistics are the whole batch's: the same batch given in
// another order gives (up to rounding) the same moving mean, where per-part statistics would differ.
TEST(batch_parts_batch_norm_uses_whole_batch_statistics) {
  NetworkSpec spec = parts_spec(true, false, "sgd");
  spec.optimizer.learning_rate = 0.0;
  std::vector<float> x, shuffled;
  std::vector<int32_t> y, y_shuffled;
  random_batch(32, 5, x, y);
  shuffled = x;
  y_shuffled = y;
  // Reverse the examples: every part now holds different ones.
  for (int i = 0; i < 32; ++i) {
    std::copy(x.begin() + size_t(31 - i) * 288, x.begin() + size_t(32 - i) * 288, shuffled.begin() + size_t(i) * 288);
    y_shuffled[i] = y[31 - i];
  }
  Network a(spec), b(spec);
  a.train_batch(x.data(), y.data(), 32);
  b.train_batch(shuffled.data(), y_shuffled.data(), 32);
  auto sa = snapshot(a), sb = snapshot(b);
  // Parameters 2..5 are BN's gamma, beta, moving_mean, moving_variance (conv2d has kernel and bias).
  for (size_t i = 4; i <= 5; ++i)
    EXPECT_TRUE(arrays_close(sa[i].data(), sb[i].data(), sa[i].size(), 1e-6, 1e-5, __FILE__, __LINE__,
                             "BN statistic " + std::to_string(i)));
}

// The split itself: the parts cover the batch in order, differ by at most one example, number
// ceil(n / 8) up to 8, and never hold more than part_capacity() of any larger batch sized the buffers.
TEST(batch_parts_split_covers_the_batch_within_every_capacity) {
  for (int n = 1; n <= 300; ++n) {
    BatchParts b = split_batch(n);
    EXPECT_EQ(b.count, std::min(kMaxParts, (n + kPartExamples - 1) / kPartExamples));
    EXPECT_EQ(b.first[0], 0);
    EXPECT_EQ(b.first[b.count], n);
    int most = 0, least = n;
    for (int p = 0; p < b.count; ++p) {
      most = std::max(most, b.first[p + 1] - b.first[p]);
      least = std::min(least, b.first[p + 1] - b.first[p]);
    }
    EXPECT_TRUE(most - least <= 1);
    for (int capacity : {n, n + 1, 64, 65, 300})
      if (capacity >= n) EXPECT_TRUE(most <= part_capacity(capacity));
  }
}
