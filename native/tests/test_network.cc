// The Network: parameter layout, the fused softmax/cross-entropy gradient with regularization (checked
// against finite differences of a double-precision reference), learning a separable toy problem,
// bit-identical determinism, resuming, and the non-finite guard.
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "core/losses.h"
#include "core/network.h"
#include "tests/harness.h"
#include "tests/layer_reference.h"

using namespace cnn;
using namespace cnn_test;

namespace {

LayerSpec layer(const char* type, const char* name) {
  LayerSpec l;
  l.type = type;
  l.name = name;
  return l;
}

// conv(4, 3x3, relu, same) -> batch norm -> max pool -> flatten -> dropout -> dense(2, softmax).
NetworkSpec toy_spec(const char* optimizer, uint64_t seed) {
  NetworkSpec s;
  s.input_shape = {6, 6, 1};
  LayerSpec conv = layer("Conv2D", "conv2d");
  conv.filters = 4;
  conv.kernel_size[0] = conv.kernel_size[1] = 3;
  conv.padding_same = true;
  conv.activation = "relu";
  conv.kernel_regularizer.l2 = 0.001;
  LayerSpec pool = layer("MaxPooling2D", "max_pooling2d");
  pool.strides[0] = pool.strides[1] = 2;
  LayerSpec drop = layer("Dropout", "dropout");
  drop.rate = 0.25;
  LayerSpec dense = layer("Dense", "dense");
  dense.units = 2;
  dense.activation = "softmax";
  s.layers = {conv, layer("BatchNormalization", "batch_normalization"), pool, layer("Flatten", "flatten"), drop, dense};
  s.optimizer.type = optimizer;
  s.optimizer.learning_rate = 0.01;
  s.seed = seed;
  return s;
}

// Class 0: bright top half; class 1: bright bottom half; plus noise. Linearly separable.
void toy_batch(int n, uint64_t seed, std::vector<float>& x, std::vector<int32_t>& y) {
  Rng rng(seed);
  x.assign(size_t(n) * 36, 0.0f);
  y.resize(size_t(n));
  for (int i = 0; i < n; ++i) {
    y[i] = int32_t(rng.next_u64() & 1);
    for (int p = 0; p < 36; ++p) {
      bool top = p < 18;
      x[size_t(i) * 36 + p] = float((top == (y[i] == 0) ? 1.0 : 0.0) + rng.uniform(-0.3, 0.3));
    }
  }
}

std::vector<std::vector<float>> snapshot(Network& net) {
  std::vector<std::vector<float>> all;
  for (size_t i = 0; i < net.params().size(); ++i)
    all.emplace_back(net.param_data(i), net.param_data(i) + net.param_size(i));
  return all;
}

}  // namespace

TEST(network_params_in_keras_order) {
  Network net(toy_spec("adam", 1));
  const auto& ps = net.params();
  EXPECT_EQ(ps.size(), size_t(8));
  const char* names[] = {"kernel", "bias", "gamma", "beta", "moving_mean", "moving_variance", "kernel", "bias"};
  for (size_t i = 0; i < ps.size() && i < 8; ++i) EXPECT_EQ(ps[i].name, std::string(names[i]));
  EXPECT_TRUE((ps[0].shape == std::vector<int>{3, 3, 1, 4}));
  EXPECT_TRUE((ps[6].shape == std::vector<int>{36, 2}));
  EXPECT_TRUE(!ps[4].trainable && !ps[5].trainable && ps[2].trainable);
  EXPECT_EQ(net.num_classes(), 2);
  EXPECT_EQ(net.input_size(), size_t(36));
  EXPECT_EQ(net.optimizer_slots(), 2);
  EXPECT_THROWS(net.optimizer_slot(4, 0));  // moving_mean has no optimizer state
  EXPECT_TRUE((net.spec().layers[2].output_shape == std::vector<int>{3, 3, 4}));
}

TEST(network_rejects_inconsistent_specs) {
  NetworkSpec s = toy_spec("adam", 1);
  s.layers[3].input_shape = {3, 3, 5};  // flatten declares the wrong input
  EXPECT_THROWS(Network{s});
  s = toy_spec("adam", 1);
  s.layers[0].type = "Conv3D";
  EXPECT_THROWS(Network{s});
  s = toy_spec("adam", 1);
  s.loss = "mse";
  EXPECT_THROWS(Network{s});
  Network net(toy_spec("adam", 1));
  std::vector<float> x(36 * 2);
  std::vector<int32_t> bad = {0, 2};
  EXPECT_THROWS(net.train_batch(x.data(), bad.data(), 2));
  EXPECT_EQ(net.iterations(), int64_t(0));
}

TEST(network_fused_softmax_gradient_with_l2) {
  // Dense(3, softmax) with an l2 kernel penalty, SGD lr = 1: the update equals minus the gradient of
  // mean CE + penalty. Compare with central differences of that loss computed in double.
  NetworkSpec s;
  s.input_shape = {4};
  LayerSpec d = layer("Dense", "dense");
  d.input_shape = {4};
  d.units = 3;
  d.activation = "softmax";
  d.kernel_regularizer.l2 = 0.05;
  d.bias_regularizer.l1 = 0.02;
  d.bias_initializer.kind = "random_normal";
  s.layers = {d};
  s.optimizer.type = "sgd";
  s.optimizer.learning_rate = 1.0;
  Network net(s);
  int n = 5;
  std::vector<float> x = random_floats(size_t(n) * 4, 17);
  std::vector<int32_t> y = {0, 2, 1, 1, 0};
  auto before = snapshot(net);
  auto loss = [&](const Vec& w, const Vec& b) {
    Vec xd = to_double(x);
    Vec p = ref_dense(d, xd, w, &b);
    double l = 0;
    for (int i = 0; i < n; ++i) l -= std::log(p[size_t(i) * 3 + y[i]]);
    double pen = 0;
    for (double v : w) pen += 0.05 * v * v;
    for (double v : b) pen += 0.02 * std::fabs(v);
    return l / n + pen;
  };
  Vec w = to_double(before[0]), b = to_double(before[1]);
  BatchResult r = net.train_batch(x.data(), y.data(), n);
  EXPECT_NEAR(r.loss, loss(w, b), 1e-5);
  auto after = snapshot(net);
  for (int t = 0; t < 2; ++t) {
    Vec& v = t == 0 ? w : b;
    std::vector<float> got, want;
    for (size_t i = 0; i < v.size(); ++i) {
      double v0 = v[i], h = 1e-6;
      v[i] = v0 + h;
      double lp = loss(w, b);
      v[i] = v0 - h;
      double lm = loss(w, b);
      v[i] = v0;
      want.push_back(float((lp - lm) / (2 * h)));
      got.push_back(before[size_t(t)][i] - after[size_t(t)][i]);
    }
    EXPECT_ARRAYS_CLOSE(got.data(), want.data(), got.size(), 2e-6, 1e-4, t == 0 ? "dL/dkernel" : "dL/dbias");
  }
}

TEST(network_cross_entropy_clips_like_keras) {
  std::vector<float> p = {1.0f, 0.0f};
  int32_t label0 = 0, label1 = 1;
  // -log(float32(1 - 1e-7)) and -log(1e-7).
  EXPECT_NEAR(cross_entropy(p.data(), &label0, 1, 2, true, nullptr).mean, -std::log(double(0.9999999f)), 1e-12);
  EXPECT_NEAR(cross_entropy(p.data(), &label1, 1, 2, true, nullptr).mean, 16.11809565095832, 1e-6);
  // Without a softmax in front, outputs are normalized first: (1, 3) -> (0.25, 0.75).
  std::vector<float> q = {1.0f, 3.0f};
  EXPECT_NEAR(cross_entropy(q.data(), &label0, 1, 2, false, nullptr).mean, std::log(4.0), 1e-6);
  // And the gradient through the normalization: dL/dp_c = 1/sum - [c == y]/p_y, here (1/4 - 1, 1/4).
  std::vector<float> g(2);
  cross_entropy(q.data(), &label0, 1, 2, false, g.data());
  EXPECT_NEAR(g[0], -0.75, 1e-6);
  EXPECT_NEAR(g[1], 0.25, 1e-6);
}

TEST(network_learns_a_separable_toy_problem) {
  for (const char* opt : {"adam", "rmsprop", "sgd", "adamw"}) {
    NetworkSpec s = toy_spec(opt, 3);
    if (std::string(opt) == "sgd") s.optimizer.learning_rate = 0.1;
    Network net(s);
    std::vector<float> x;
    std::vector<int32_t> y;
    toy_batch(64, 100, x, y);
    double first = net.evaluate_batch(x.data(), y.data(), 64, nullptr).loss;
    for (int step = 0; step < 60; ++step) {
      std::vector<float> bx;
      std::vector<int32_t> by;
      toy_batch(16, 1000 + step, bx, by);
      net.train_batch(bx.data(), by.data(), 16);
    }
    BatchResult r = net.evaluate_batch(x.data(), y.data(), 64, nullptr);
    EXPECT_TRUE(r.loss < first * 0.5);
    EXPECT_TRUE(r.correct >= 60);
    if (!(r.loss < first * 0.5)) std::printf("    %s: loss %g -> %g\n", opt, first, r.loss);
  }
}

TEST(network_same_seed_gives_bit_identical_params) {
  auto run = [](uint64_t seed) {
    Network net(toy_spec("adam", seed));
    for (int step = 0; step < 5; ++step) {
      std::vector<float> x;
      std::vector<int32_t> y;
      toy_batch(12, 50 + step, x, y);
      net.train_batch(x.data(), y.data(), 12);
    }
    return snapshot(net);
  };
  EXPECT_TRUE(run(9) == run(9));
  EXPECT_TRUE(run(9) != run(10));
}

TEST(network_resume_reproduces_the_uninterrupted_run) {
  // Train 4 steps straight, or 2 steps then copy params, optimizer slots and iterations into a fresh
  // network and train the last 2: dropout masks are keyed by the iteration, so both end bit-identical.
  std::vector<std::vector<float>> xs(4);
  std::vector<std::vector<int32_t>> ys(4);
  for (int i = 0; i < 4; ++i) toy_batch(10, 70 + i, xs[i], ys[i]);
  Network straight(toy_spec("adam", 4));
  for (int i = 0; i < 4; ++i) straight.train_batch(xs[i].data(), ys[i].data(), 10);
  Network first(toy_spec("adam", 4));
  for (int i = 0; i < 2; ++i) first.train_batch(xs[i].data(), ys[i].data(), 10);
  Network resumed(toy_spec("adam", 4));  // rebuilt from the same spec, as a resumed run does
  resumed.set_iterations(first.iterations());
  for (size_t p = 0; p < first.params().size(); ++p) {
    std::memcpy(resumed.param_data(p), first.param_data(p), first.param_size(p) * sizeof(float));
    if (!first.params()[p].trainable) continue;
    for (int sl = 0; sl < first.optimizer_slots(); ++sl)
      std::memcpy(resumed.optimizer_slot(p, sl), first.optimizer_slot(p, sl), first.param_size(p) * sizeof(float));
  }
  for (int i = 2; i < 4; ++i) resumed.train_batch(xs[i].data(), ys[i].data(), 10);
  EXPECT_TRUE(snapshot(resumed) == snapshot(straight));
  EXPECT_EQ(resumed.iterations(), int64_t(4));
  // Control: skipping the copy of the optimizer state does change the result.
  Network no_slots(toy_spec("adam", 4));
  no_slots.set_iterations(2);
  for (size_t p = 0; p < first.params().size(); ++p)
    std::memcpy(no_slots.param_data(p), first.param_data(p), first.param_size(p) * sizeof(float));
  for (int i = 2; i < 4; ++i) no_slots.train_batch(xs[i].data(), ys[i].data(), 10);
  EXPECT_TRUE(snapshot(no_slots) != snapshot(straight));
}

TEST(network_non_finite_loss_throws_and_keeps_params) {
  Network net(toy_spec("adam", 5));
  std::vector<float> x;
  std::vector<int32_t> y;
  toy_batch(8, 1, x, y);
  net.train_batch(x.data(), y.data(), 8);
  x[5] = std::nanf("");
  auto before = snapshot(net);
  std::vector<float> slot_before(net.optimizer_slot(0, 0), net.optimizer_slot(0, 0) + net.param_size(0));
  try {
    net.train_batch(x.data(), y.data(), 8);
    EXPECT_TRUE(false);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), std::string(kErrNonFinite));
  }
  auto after = snapshot(net);
  EXPECT_TRUE(before == after);  // NaN != NaN would fail here, so nothing became NaN either
  EXPECT_TRUE(std::equal(slot_before.begin(), slot_before.end(), net.optimizer_slot(0, 0)));
  EXPECT_EQ(net.iterations(), int64_t(1));
}

TEST(network_evaluate_and_forward_all_agree) {
  Network net(toy_spec("adam", 6));
  int n = 150;  // more than one inference slice
  std::vector<float> x;
  std::vector<int32_t> y;
  toy_batch(n, 8, x, y);
  std::vector<float> probs(size_t(n) * 2);
  BatchResult all = net.evaluate_batch(x.data(), y.data(), n, probs.data());
  int correct = 0;
  double loss = 0;
  for (int i = 0; i < n; ++i) {
    EXPECT_NEAR(probs[i * 2] + probs[i * 2 + 1], 1.0, 1e-6);
    correct += (probs[i * 2 + y[i]] > probs[i * 2 + 1 - y[i]]) ? 1 : 0;
    loss -= std::log(double(probs[i * 2 + y[i]]));
  }
  EXPECT_EQ(all.correct, correct);
  double penalty = all.loss - loss / n;  // the conv kernel's l2 term, the same in every evaluation
  EXPECT_TRUE(penalty > 0);
  for (int i = 0; i < n; i += 37) {
    BatchResult one = net.evaluate_batch(x.data() + i * 36, y.data() + i, 1, nullptr);
    EXPECT_NEAR(one.loss - penalty, -std::log(double(probs[i * 2 + y[i]])), 1e-5);
  }
  auto outs = net.forward_all(x.data());
  EXPECT_EQ(outs.size(), size_t(6));
  EXPECT_EQ(outs[0].size(), size_t(6 * 6 * 4));
  EXPECT_EQ(outs[2].size(), size_t(3 * 3 * 4));
  EXPECT_ARRAYS_CLOSE(outs[5].data(), probs.data(), 2, 1e-6, 0, "forward_all output");
}

TEST(network_assemble_batch_scales_pixels) {
  std::vector<uint8_t> images = {0, 255, 10, 20, 30, 40};
  std::vector<int32_t> idx = {2, 0};
  std::vector<float> out(4);
  assemble_batch(images.data(), 2, idx.data(), 2, 1.0f / 255, 0.0f, out.data());
  std::vector<float> want = {30.0f / 255, 40.0f / 255, 0.0f, 1.0f};
  EXPECT_ARRAYS_CLOSE(out.data(), want.data(), 4, 1e-7, 0, "assemble_batch");
}

TEST(network_set_learning_rate_equals_building_with_it) {
  // A network built at 0.001 and switched to 0.01 trains bit-identically to one built at 0.01.
  auto run = [](double built, double used) {
    NetworkSpec s = toy_spec("adam", 4);
    s.optimizer.learning_rate = built;
    Network net(s);
    net.set_learning_rate(used);
    EXPECT_EQ(net.spec().optimizer.learning_rate, used);
    for (int step = 0; step < 3; ++step) {
      std::vector<float> x;
      std::vector<int32_t> y;
      toy_batch(12, 70 + step, x, y);
      net.train_batch(x.data(), y.data(), 12);
    }
    return snapshot(net);
  };
  EXPECT_TRUE(run(0.001, 0.01) == run(0.01, 0.01));
  EXPECT_TRUE(run(0.001, 0.01) != run(0.001, 0.001));
  Network net(toy_spec("sgd", 1));
  EXPECT_THROWS(net.set_learning_rate(-0.5));
  EXPECT_THROWS(net.set_learning_rate(std::nan("")));
  EXPECT_EQ(net.spec().optimizer.learning_rate, toy_spec("sgd", 1).optimizer.learning_rate);
}

// prefetch_examples is only a hint, but it must skip indices outside the dataset rather than form
// pointers past it (UBSan checks the arithmetic in CI's sanitizer build).
TEST(network_prefetch_examples_skips_indices_outside_the_data) {
  std::vector<uint8_t> data(10 * 100, 7);
  int32_t idx[] = {0, 9, -1, 10, 2147483647, -2147483647 - 1, 5};
  prefetch_examples(data.data(), 100, 10, idx, 7);
  prefetch_examples(data.data(), 100, 10, idx, 0);
  EXPECT_EQ(int(data[999]), 7);
}

// set_profiling: layer, loss and update times accumulate over the training steps only (evaluation adds
// nothing), set_profiling(true) starts again from zero, and off stops the counting.
TEST(network_profiling_times_training_steps_only) {
  Network net(toy_spec("adam", 4));
  std::vector<float> x;
  std::vector<int32_t> y;
  toy_batch(12, 3, x, y);
  net.train_batch(x.data(), y.data(), 12);
  EXPECT_EQ(int(net.profile().steps), 0);
  net.set_profiling(true);
  for (int i = 0; i < 3; ++i) net.train_batch(x.data(), y.data(), 12);
  net.evaluate_batch(x.data(), y.data(), 12, nullptr);
  StepProfile p = net.profile();
  EXPECT_EQ(int(p.steps), 3);
  EXPECT_EQ(int(p.layers.size()), 6);
  EXPECT_TRUE(p.layers[0] == "conv2d" && p.layers[5] == "dense");
  for (size_t i = 0; i < p.layers.size(); ++i) EXPECT_TRUE(p.forward_s[i] > 0 && p.backward_s[i] > 0);
  EXPECT_TRUE(p.loss_s > 0 && p.update_s > 0);
  net.set_profiling(false);
  net.train_batch(x.data(), y.data(), 12);
  EXPECT_EQ(int(net.profile().steps), 3);
  EXPECT_TRUE(net.profile().forward_s[0] == p.forward_s[0]);
  net.set_profiling(true);
  EXPECT_EQ(int(net.profile().steps), 0);
  EXPECT_TRUE(net.profile().forward_s[0] == 0.0);
}
