// Optimizers against numbers worked out from Keras's formulas (keras-reference.md), not from our code.
// One weight starts at 1.0 and receives the gradients 0.5, -0.2, 0.4. The first steps are derived in the
// comments; later steps were evaluated with a calculator in double precision. Our updates run in float32,
// hence the 2e-6 tolerance.
#include <cmath>
#include <vector>

#include "core/optimizers.h"
#include "tests/harness.h"

using namespace cnn;

namespace {

// Runs the optimizer over `grads` and returns w after each step.
std::vector<double> trajectory(const OptimizerSpec& spec, std::vector<float> grads) {
  Optimizer opt(spec);
  float w = 1.0f;
  std::vector<float> state(size_t(opt.slots()), 0.0f);
  std::vector<float*> slots;
  for (float& s : state) slots.push_back(&s);
  std::vector<double> out;
  for (size_t t = 0; t < grads.size(); ++t) {
    opt.update(&w, &grads[t], slots.data(), 1, int64_t(t));
    out.push_back(w);
  }
  return out;
}

OptimizerSpec make(const char* type, double lr) {
  OptimizerSpec s;
  s.type = type;
  s.learning_rate = lr;
  return s;
}

void expect_trajectory(const std::vector<double>& got, const std::vector<double>& want) {
  EXPECT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size() && i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 2e-6);
}

const std::vector<float> kGrads = {0.5f, -0.2f, 0.4f};

}  // namespace

TEST(optimizer_sgd_plain) {
  // w -= lr*g: 1 - 0.05 = 0.95; 0.95 + 0.02 = 0.97; 0.97 - 0.04 = 0.93.
  OptimizerSpec s = make("sgd", 0.1);
  EXPECT_EQ(Optimizer(s).slots(), 0);
  expect_trajectory(trajectory(s, kGrads), {0.95, 0.97, 0.93});
}

TEST(optimizer_sgd_momentum) {
  // v = 0.9v - 0.1g: v1 = -0.05, v2 = -0.045 + 0.02 = -0.025, v3 = -0.0225 - 0.04 = -0.0625; w += v.
  OptimizerSpec s = make("sgd", 0.1);
  s.momentum = 0.9;
  EXPECT_EQ(Optimizer(s).slots(), 1);
  expect_trajectory(trajectory(s, kGrads), {0.95, 0.925, 0.8625});
}

TEST(optimizer_sgd_nesterov) {
  // w += 0.9v - 0.1g with the new v: 1 - 0.045 - 0.05 = 0.905; 0.905 - 0.0225 + 0.02 = 0.9025;
  // 0.9025 - 0.05625 - 0.04 = 0.80625.
  OptimizerSpec s = make("sgd", 0.1);
  s.momentum = 0.9;
  s.nesterov = true;
  expect_trajectory(trajectory(s, kGrads), {0.905, 0.9025, 0.80625});
}

TEST(optimizer_rmsprop_default_form) {
  // a1 = 0.1*0.25 = 0.025; w1 = 1 - 0.01*0.5/sqrt(0.025 + 1e-7) (epsilon inside the root) = 0.96837729;
  // a2 = 0.0225 + 0.004 = 0.0265; a3 = 0.02385 + 0.016 = 0.03985.
  OptimizerSpec s = make("rmsprop", 0.01);
  EXPECT_EQ(Optimizer(s).slots(), 1);
  expect_trajectory(trajectory(s, kGrads), {0.9683772866436797, 0.9806631657994765, 0.9606255851412914});
}

TEST(optimizer_rmsprop_centered) {
  // avg1 = 0.05; w1 = 1 - 0.005/sqrt(0.025 - 0.0025 + 1e-7) = 1 - 0.005/0.15 = 0.96666674.
  OptimizerSpec s = make("rmsprop", 0.01);
  s.centered = true;
  EXPECT_EQ(Optimizer(s).slots(), 2);
  expect_trajectory(trajectory(s, kGrads), {0.9666667407404939, 0.9791001141578789, 0.9580018029168135});
}

TEST(optimizer_rmsprop_momentum) {
  // momentum 0.5: m = 0.5m + increment; w -= m. Step 1 equals plain RMSprop (m starts at 0).
  OptimizerSpec s = make("rmsprop", 0.01);
  s.momentum = 0.5;
  EXPECT_EQ(Optimizer(s).slots(), 2);
  expect_trajectory(trajectory(s, kGrads), {0.9683772866436797, 0.9648518091213164, 0.9430514897019495});
}

TEST(optimizer_adam) {
  // t=1: m = 0.05, v = 0.00025, alpha = 0.1*sqrt(1-0.999)/(1-0.9) = sqrt(0.001) = 0.0316228;
  // w1 = 1 - 0.0316228*0.05/(sqrt(0.00025) + 1e-7) = 1 - 0.0999994 = 0.90000063.
  // t=2: m = 0.025, v = 0.00028975, alpha = 0.1*sqrt(0.001999)/0.19 = 0.0235317.
  OptimizerSpec s = make("adam", 0.1);
  EXPECT_EQ(Optimizer(s).slots(), 2);
  expect_trajectory(trajectory(s, kGrads), {0.900000632451532, 0.8654402506933557, 0.8058868621738366});
}

TEST(optimizer_adamw_decays_before_the_step) {
  // weight_decay 0.1, lr 0.1: w = 1 - 1*0.1*0.1 = 0.99 first, then the Adam step above: 0.89000063.
  OptimizerSpec s = make("adamw", 0.1);
  s.weight_decay = 0.1;
  expect_trajectory(trajectory(s, kGrads), {0.8900006324515319, 0.8465402443688405, 0.778521453405633});
}

TEST(optimizer_adam_amsgrad) {
  // Gradients 0.5, 0, -0.1: v falls at t=2 (0.00024975 < 0.00025), so v_hat keeps 0.00025.
  OptimizerSpec s = make("adam", 0.1);
  s.amsgrad = true;
  EXPECT_EQ(Optimizer(s).slots(), 3);
  expect_trajectory(trajectory(s, {0.5f, 0.0f, -0.1f}), {0.900000632451532, 0.8330287418979302, 0.7947812988916517});
}

TEST(optimizer_rejects_bad_specs) {
  EXPECT_THROWS(Optimizer(make("adagrad", 0.1)));
  EXPECT_THROWS(Optimizer(make("sgd", -1)));
  OptimizerSpec s = make("adam", 0.1);
  s.beta_1 = 1.0;
  EXPECT_THROWS(Optimizer{s});
}

TEST(optimizer_weight_decay_applies_to_any_optimizer) {
  // Keras's base optimizer decays before the update: w = 1 - 1*0.1*0.1 = 0.99, then 0.99 - 0.1*0.5 = 0.94;
  // step 2: 0.94*(1 - 0.01) = 0.9306, + 0.02 = 0.9506.
  OptimizerSpec s = make("sgd", 0.1);
  s.weight_decay = 0.1;
  expect_trajectory(trajectory(s, {0.5f, -0.2f}), {0.94, 0.9506});
}

TEST(optimizer_set_learning_rate_applies_from_the_next_step) {
  // sgd at 0.1 for one step (1 - 0.05 = 0.95), then 0.5: 0.95 - 0.5 * -0.2 = 1.05. Slots untouched.
  Optimizer opt(make("sgd", 0.1));
  float w = 1.0f;
  float g0 = 0.5f, g1 = -0.2f;
  opt.update(&w, &g0, nullptr, 1, 0);
  EXPECT_NEAR(w, 0.95, 2e-6);
  opt.set_learning_rate(0.5);
  EXPECT_EQ(opt.spec().learning_rate, 0.5);
  opt.update(&w, &g1, nullptr, 1, 1);
  EXPECT_NEAR(w, 1.05, 2e-6);
  opt.set_learning_rate(0);  // 0 is allowed (Keras freezes the weights)
  EXPECT_THROWS(opt.set_learning_rate(-1e-3));
  EXPECT_THROWS(opt.set_learning_rate(std::nan("")));
  EXPECT_THROWS(opt.set_learning_rate(INFINITY));
  EXPECT_EQ(opt.spec().learning_rate, 0.0);  // a refused value leaves the rate as it was
}
