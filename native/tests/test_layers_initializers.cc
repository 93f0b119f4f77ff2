// Initializers: Keras's bounds and spreads (fans as in keras-reference.md), truncation of the normal
// ones at two (scaled) standard deviations, constants, and determinism by seed.
#include <cmath>

#include "core/error.h"
#include "core/initializers.h"
#include "tests/harness.h"

using namespace cnn;

namespace {

struct Stats {
  double mean = 0, stddev = 0, max_abs = 0;
};

Stats stats_of(const std::vector<float>& v) {
  Stats s;
  for (float x : v) s.mean += x;
  s.mean /= double(v.size());
  for (float x : v) {
    s.stddev += (x - s.mean) * (x - s.mean);
    s.max_abs = std::max(s.max_abs, double(std::fabs(x)));
  }
  s.stddev = std::sqrt(s.stddev / double(v.size()));
  return s;
}

std::vector<float> init(const char* kind, std::vector<int> shape, uint64_t key = 42) {
  InitializerSpec spec;
  spec.kind = kind;
  std::vector<float> out;
  initialize(spec, shape, key, out, "test");
  return out;
}

}  // namespace

TEST(initializer_fans_follow_keras) {
  double fi, fo;
  compute_fans({3, 3, 1, 32}, fi, fo);  // conv kernel: receptive field 9
  EXPECT_NEAR(fi, 9, 0);
  EXPECT_NEAR(fo, 288, 0);
  compute_fans({9216, 128}, fi, fo);
  EXPECT_NEAR(fi, 9216, 0);
  EXPECT_NEAR(fo, 128, 0);
}

TEST(initializer_glorot_uniform_bounds) {
  // Conv kernel (5,5,8,16): fan_in 200, fan_out 400, L = sqrt(6/600) = 0.1; U(-L, L) has stddev L/sqrt(3).
  std::vector<float> w = init("glorot_uniform", {5, 5, 8, 16});
  Stats s = stats_of(w);
  EXPECT_TRUE(s.max_abs <= 0.1);
  EXPECT_TRUE(s.max_abs > 0.099);
  EXPECT_NEAR(s.mean, 0.0, 0.003);
  EXPECT_NEAR(s.stddev, 0.1 / std::sqrt(3.0), 0.002);
}

TEST(initializer_he_uniform_bounds) {
  std::vector<float> w = init("he_uniform", {600, 100});  // L = sqrt(6/600) = 0.1
  Stats s = stats_of(w);
  EXPECT_TRUE(s.max_abs <= 0.1 && s.max_abs > 0.099);
}

TEST(initializer_he_normal_is_truncated_with_keras_scaling) {
  // fan_in 200: the truncated distribution's stddev is sqrt(2/200) = 0.1; the untruncated stddev is
  // 0.1/0.8796..., and nothing lies beyond twice that.
  std::vector<float> w = init("he_normal", {200, 300});
  Stats s = stats_of(w);
  double scaled = 0.1 / kTruncatedNormalStddevRatio;
  EXPECT_NEAR(s.stddev, 0.1, 0.002);
  EXPECT_TRUE(s.max_abs <= 2 * scaled + 1e-7);
  EXPECT_TRUE(s.max_abs > 1.9 * scaled);  // the tails are actually used up to the cut
  EXPECT_NEAR(s.mean, 0.0, 0.002);
}

TEST(initializer_glorot_normal_is_truncated_with_keras_scaling) {
  std::vector<float> w = init("glorot_normal", {3, 3, 64, 64});  // fan_in = fan_out = 576
  Stats s = stats_of(w);
  double want = std::sqrt(2.0 / 1152.0);
  EXPECT_NEAR(s.stddev, want, want * 0.02);
  EXPECT_TRUE(s.max_abs <= 2 * want / kTruncatedNormalStddevRatio + 1e-7);
}

TEST(initializer_random_and_constant_kinds) {
  InitializerSpec n;
  n.kind = "random_normal";
  n.mean = 1.0;
  n.stddev = 0.5;
  std::vector<float> out;
  initialize(n, {100, 500}, 3, out, "n");
  Stats s = stats_of(out);
  EXPECT_NEAR(s.mean, 1.0, 0.01);
  EXPECT_NEAR(s.stddev, 0.5, 0.01);
  InitializerSpec u;
  u.kind = "random_uniform";
  initialize(u, {10000}, 3, out, "u");
  s = stats_of(out);
  EXPECT_TRUE(s.max_abs <= 0.05 && s.max_abs > 0.049);
  InitializerSpec c;
  c.kind = "constant";
  c.value = 2.5;
  initialize(c, {3}, 3, out, "c");
  EXPECT_TRUE((out == std::vector<float>{2.5f, 2.5f, 2.5f}));
  c.values = {1, 2, 3, 4};
  initialize(c, {2, 2}, 3, out, "c");
  EXPECT_TRUE((out == std::vector<float>{1, 2, 3, 4}));
  EXPECT_THROWS(initialize(c, {3}, 3, out, "c"));  // 4 values for 3 weights
  EXPECT_TRUE((init("ones", {2}) == std::vector<float>{1, 1}));
  EXPECT_TRUE((init("zeros", {2}) == std::vector<float>{0, 0}));
  try {
    init("orthogonal", {2, 2});
    EXPECT_TRUE(false);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), std::string(kErrInvalidArgument));
    EXPECT_TRUE(std::string(e.what()).find("orthogonal") != std::string::npos);
  }
}

TEST(initializer_is_deterministic_by_key) {
  for (const char* kind : {"glorot_uniform", "glorot_normal", "he_normal", "he_uniform", "random_normal"}) {
    EXPECT_TRUE(init(kind, {4, 4, 3, 8}, 7) == init(kind, {4, 4, 3, 8}, 7));
    EXPECT_TRUE(init(kind, {4, 4, 3, 8}, 7) != init(kind, {4, 4, 3, 8}, 8));
  }
}
