// Data-parallel steps (Network::train_shard) without MPI: P threads play P processes, each with its own
// Network, summing through a StepSync over shared memory. Their weights must equal one Network trained
// on the same global batches (train_batch), with shards as uneven as 7 examples over 3 "ranks" and a
// Dropout whose input size is odd, so a shard's masks must start mid-pair; and with BatchNormalization
// every rank must keep exactly the same weights (its moving statistics are averaged).
#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "core/network.h"
#include "core/rng.h"
#include "tests/harness.h"

using namespace cnn;

namespace {

// A barrier-synchronized sum: every thread adds its values, waits for all, reads the total.
class ThreadSync {
 public:
  explicit ThreadSync(int ranks) : ranks_(ranks) {}
  void sum(std::vector<double>& v) {
    std::unique_lock<std::mutex> lock(mu_);
    if (acc_.size() < v.size()) acc_.assign(v.size(), 0.0);
    for (size_t i = 0; i < v.size(); ++i) acc_[i] += v[i];
    arrive(lock);  // all added
    for (size_t i = 0; i < v.size(); ++i) v[i] = acc_[i];
    arrive(lock);  // all read: the last to arrive clears the total for the next sum
  }

 private:
  void arrive(std::unique_lock<std::mutex>& lock) {
    long gen = generation_;
    if (++waiting_ == ranks_) {
      waiting_ = 0;
      ++generation_;
      if (generation_ % 2 == 0) acc_.clear();
      cv_.notify_all();
    } else {
      cv_.wait(lock, [&] { return generation_ != gen; });
    }
  }
  int ranks_;
  std::mutex mu_;
  std::condition_variable cv_;
  int waiting_ = 0;
  long generation_ = 0;
  std::vector<double> acc_;
};

class RankSync : public StepSync {
 public:
  explicit RankSync(ThreadSync& shared) : shared_(shared) {}
  void sum(double* values, size_t count) override {
    std::vector<double> v(values, values + count);
    shared_.sum(v);
    std::copy(v.begin(), v.end(), values);
  }
  void sum(float* const* buffers, const size_t* sizes, size_t count) override {
    std::vector<double> v;
    for (size_t b = 0; b < count; ++b) v.insert(v.end(), buffers[b], buffers[b] + sizes[b]);
    shared_.sum(v);
    size_t at = 0;
    for (size_t b = 0; b < count; ++b)
      for (size_t i = 0; i < sizes[b]; ++i) buffers[b][i] = float(v[at++]);
  }

 private:
  ThreadSync& shared_;
};

LayerSpec layer(const char* type) {
  LayerSpec l;
  l.type = type;
  return l;
}

// [RandomFlip -> RandomTranslation ->] conv(3, 3x3, relu) [-> batch norm] -> flatten -> dense(5, relu, l2) -> dropout -> dense(3, softmax).
NetworkSpec spec(bool batch_norm, bool augment = false) {
  NetworkSpec s;
  s.input_shape = {5, 5, 1};
  LayerSpec flip = layer("RandomFlip");
  flip.pre.mode = "horizontal_and_vertical";
  LayerSpec shift = layer("RandomTranslation");
  shift.pre.height_factor[0] = shift.pre.width_factor[0] = -0.3;
  shift.pre.height_factor[1] = shift.pre.width_factor[1] = 0.3;
  LayerSpec conv = layer("Conv2D");
  conv.filters = 3;
  conv.kernel_size[0] = conv.kernel_size[1] = 3;
  conv.activation = "relu";
  LayerSpec hidden = layer("Dense");
  hidden.units = 5;  // odd: the Dropout after it sees shards starting mid-pair
  hidden.activation = "relu";
  hidden.kernel_regularizer.l2 = 0.01;  // the penalty's gradient must count once, not once per rank
  LayerSpec drop = layer("Dropout");
  drop.rate = 0.4;
  LayerSpec out = layer("Dense");
  out.units = 3;
  out.activation = "softmax";
  s.layers = {};
  if (augment) s.layers = {flip, shift};
  s.layers.push_back(conv);
  if (batch_norm) s.layers.push_back(layer("BatchNormalization"));
  for (const LayerSpec& l : {layer("Flatten"), hidden, drop, out}) s.layers.push_back(l);
  s.optimizer.type = "adam";
  s.optimizer.learning_rate = 0.01;
  s.seed = 9;
  return s;
}

struct Data {
  std::vector<float> x;
  std::vector<int32_t> y;
};

Data make_data(int n) {
  Rng rng(3);
  Data d;
  d.x.resize(size_t(n) * 25);
  d.y.resize(size_t(n));
  for (int i = 0; i < n; ++i) {
    d.y[i] = int32_t(rng.next_u64() % 3);
    for (int p = 0; p < 25; ++p) d.x[size_t(i) * 25 + p] = float((p % 3 == d.y[i] ? 1.0 : 0.0) + rng.uniform(-0.5, 0.5));
  }
  return d;
}

std::vector<std::vector<float>> weights(Network& net) {
  std::vector<std::vector<float>> all;
  for (size_t i = 0; i < net.params().size(); ++i) all.emplace_back(net.param_data(i), net.param_data(i) + net.param_size(i));
  return all;
}

// Trains `ranks` networks on threads over batches of `batch` examples (the last one shorter); returns
// each rank's weights, and the results rank 0 saw.
std::vector<std::vector<std::vector<float>>> train_ranks(const NetworkSpec& s, const Data& d, int n, int batch, int ranks,
                                                         std::vector<BatchResult>& results) {
  ThreadSync shared(ranks);
  std::vector<std::vector<std::vector<float>>> out(static_cast<size_t>(ranks));
  std::vector<std::thread> threads;
  for (int r = 0; r < ranks; ++r)
    threads.emplace_back([&, r] {
      Network net(s);
      RankSync sync(shared);
      for (int start = 0; start < n; start += batch) {
        int global_n = std::min(batch, n - start);
        int base = global_n / ranks, extra = global_n % ranks;
        int count = base + (r < extra ? 1 : 0);
        int offset = r * base + std::min(r, extra);
        const float* x = d.x.data() + size_t(start + offset) * 25;
        const int32_t* y = d.y.data() + start + offset;
        BatchResult res = net.train_shard(x, y, count, Shard{global_n, offset, &sync});
        if (r == 0) results.push_back(res);
      }
      out[size_t(r)] = weights(net);
    });
  for (auto& t : threads) t.join();
  return out;
}

}  // namespace

static void shards_match_one_process(const NetworkSpec& s) {
  const int n = 47, batch = 7;
  Data d = make_data(n);
  Network one(s);
  std::vector<BatchResult> want;
  for (int start = 0; start < n; start += batch) want.push_back(one.train_batch(d.x.data() + size_t(start) * 25, d.y.data() + start, std::min(batch, n - start)));
  auto ref = weights(one);
  for (int ranks : {2, 3, 8}) {  // 8 ranks: a batch of 7 leaves one rank without examples, the last (5) three
    std::vector<BatchResult> got;
    auto all = train_ranks(s, d, n, batch, ranks, got);
    for (int r = 0; r < ranks; ++r)
      for (size_t p = 0; p < ref.size(); ++p)
        EXPECT_ARRAYS_CLOSE(all[size_t(r)][p].data(), ref[p].data(), ref[p].size(), 2e-6, 1e-5, "param " + std::to_string(p));
    EXPECT_EQ(got.size(), want.size());
    for (size_t b = 0; b < got.size() && b < want.size(); ++b) {
      EXPECT_NEAR(got[b].loss, want[b].loss, 1e-6);
      EXPECT_EQ(got[b].correct, want[b].correct);
      EXPECT_EQ(got[b].count, want[b].count);
    }
  }
}

TEST(data_parallel_shards_train_the_weights_of_one_process) { shards_match_one_process(spec(false)); }

// Each example of a shard draws its flip and shift as it would in one process (keyed by its index in
// the global batch), so augmentation does not make ranks diverge from a single process.
TEST(data_parallel_augmentation_draws_what_one_process_draws) { shards_match_one_process(spec(false, true)); }

TEST(data_parallel_batch_norm_keeps_every_rank_identical) {
  Data d = make_data(40);
  std::vector<BatchResult> got;
  auto all = train_ranks(spec(true), d, 40, 8, 3, got);
  for (int r = 1; r < 3; ++r)
    for (size_t p = 0; p < all[0].size(); ++p)
      EXPECT_TRUE(all[size_t(r)][p] == all[0][p]);  // bit for bit, moving statistics included
}
