// Pooling, global average pooling, BatchNormalization (training mode), Dropout (fixed mask), Activation
// and Flatten: forward against double references, backward against finite differences of them.
#include <numeric>

#include "core/layers/layer.h"
#include "core/layers/simple.h"
#include "tests/harness.h"
#include "tests/layer_reference.h"

using namespace cnn;
using namespace cnn_test;

namespace {

LayerSpec spec_of(const std::string& type, std::vector<int> input) {
  LayerSpec s;
  s.type = type;
  s.name = type;
  s.input_shape = std::move(input);
  return s;
}

// Distinct values (a shuffled ramp) so that no pooling window holds a tie within the FD step.
std::vector<float> distinct_values(size_t n, uint64_t seed) {
  std::vector<float> v(n);
  Rng rng(seed);
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  for (size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng.next_u64() % i]);
  for (size_t i = 0; i < n; ++i) v[i] = float(order[i]) / float(n) * 2.0f - 1.0f;
  return v;
}

void check_pool(bool is_max, std::vector<int> input, int pool, int stride, bool same, const std::string& what) {
  LayerSpec s = spec_of(is_max ? "MaxPooling2D" : "AveragePooling2D", input);
  s.pool_size[0] = pool;
  s.pool_size[1] = pool == 3 ? 2 : pool;
  s.strides[0] = s.strides[1] = stride;
  s.padding_same = same;
  InitContext init{1, 0};
  auto layer = make_layer(s, 0, init);
  int n = 2;
  check_layer_gradients(*layer, distinct_values(layer->in_size() * n, 3), n,
                        [&](const Vec& x, const std::vector<Vec>&) { return ref_pool(s, x, n, is_max); }, what);
}

}  // namespace

TEST(layers_maxpool_gradients) {
  check_pool(true, {6, 6, 3}, 2, 2, false, "maxpool 2x2");
  check_pool(true, {7, 5, 2}, 3, 2, true, "maxpool same odd");
  check_pool(true, {6, 6, 2}, 3, 1, false, "maxpool overlapping");
}

TEST(layers_avgpool_gradients) {
  check_pool(false, {6, 6, 3}, 2, 2, false, "avgpool 2x2");
  check_pool(false, {7, 5, 2}, 3, 2, true, "avgpool same divides by real cells");
}

TEST(layers_avgpool_same_divides_by_real_cells) {
  // 3x3 input of ones plus a ramp, pool 2 stride 2 same: the right/bottom windows hold 2 or 1 real cells.
  LayerSpec s = spec_of("AveragePooling2D", {3, 3, 1});
  s.strides[0] = s.strides[1] = 2;
  s.padding_same = true;
  InitContext init{1, 0};
  auto layer = make_layer(s, 0, init);
  std::vector<float> x = {1, 2, 3, 4, 5, 6, 7, 8, 9}, y(4);
  layer->forward(x.data(), y.data(), 1, RunContext{});
  std::vector<float> want = {3.0f, 4.5f, 7.5f, 9.0f};  // (1+2+4+5)/4, (3+6)/2, (7+8)/2, 9/1
  EXPECT_ARRAYS_CLOSE(y.data(), want.data(), 4, 1e-6, 0, "avgpool same");
}

TEST(layers_global_average_pooling_gradients) {
  LayerSpec s = spec_of("GlobalAveragePooling2D", {3, 4, 5});
  InitContext init{1, 0};
  auto layer = make_layer(s, 0, init);
  int n = 2;
  check_layer_gradients(*layer, random_floats(60 * n, 8), n, [&](const Vec& x, const std::vector<Vec>&) {
    Vec y(size_t(n) * 5, 0.0);
    for (int i = 0; i < n; ++i)
      for (int p = 0; p < 12; ++p)
        for (int c = 0; c < 5; ++c) y[i * 5 + c] += x[(size_t(i) * 12 + p) * 5 + c] / 12.0;
    return y;
  }, "global average pooling");
}

TEST(layers_batch_norm_training_gradients) {
  for (int variant = 0; variant < 3; ++variant) {
    LayerSpec s = spec_of("BatchNormalization", {3, 2, 4});
    s.center = variant != 1;
    s.scale = variant != 2;
    InitContext init{1, 0};
    auto layer = make_layer(s, 0, init);
    // Non-trivial gamma/beta so their role in dx is exercised.
    for (auto& p : layer->params())
      if (p.info.trainable) p.value = random_floats(4, p.info.name == "gamma" ? 11 : 12, 0.5, 1.5);
    int n = 3;
    check_layer_gradients(*layer, random_floats(24 * n, 9, -2, 3), n, [&](const Vec& x, const std::vector<Vec>& ps) {
      const Vec* gamma = s.scale ? &ps[0] : nullptr;
      const Vec* beta = s.center ? &ps[s.scale ? 1 : 0] : nullptr;
      return ref_batch_norm_train(x, 4, gamma, beta, s.epsilon);
    }, "batch norm variant " + std::to_string(variant));
  }
}

TEST(layers_batch_norm_moving_statistics_and_inference) {
  LayerSpec s = spec_of("BatchNormalization", {2});
  s.momentum = 0.9;
  InitContext init{1, 0};
  auto layer = make_layer(s, 0, init);
  EXPECT_EQ(layer->params().size(), size_t(4));
  EXPECT_TRUE(!layer->params()[2].info.trainable && !layer->params()[3].info.trainable);
  layer->reserve(4);
  std::vector<float> x = {1, 10, 2, 20, 3, 30, 6, 40}, y(8);  // channel 0: mean 3, var 3.5; channel 1: 25, 125
  layer->forward(x.data(), y.data(), 4, RunContext{true, 0});
  EXPECT_NEAR(layer->params()[2].value[0], 0.0, 0.0);  // nothing moves before commit()
  layer->commit();
  EXPECT_NEAR(layer->params()[2].value[0], 0.1 * 3, 1e-6);
  EXPECT_NEAR(layer->params()[2].value[1], 0.1 * 25, 1e-5);
  EXPECT_NEAR(layer->params()[3].value[0], 0.9 + 0.1 * 3.5, 1e-6);
  EXPECT_NEAR(layer->params()[3].value[1], 0.9 + 0.1 * 125, 1e-4);
  // Inference uses the moving statistics: (x - mm) / sqrt(mv + eps) * gamma + beta.
  layer->forward(x.data(), y.data(), 1, RunContext{false, 0});
  EXPECT_NEAR(y[0], (1 - 0.3) / std::sqrt(1.25 + 1e-3), 1e-5);
  EXPECT_NEAR(y[1], (10 - 2.5) / std::sqrt(13.4 + 1e-3), 1e-5);
}

TEST(layers_dropout_gradients_with_fixed_mask) {
  LayerSpec s = spec_of("Dropout", {5, 4});
  s.rate = 0.4;
  InitContext init{21, 0};
  auto layer = make_layer(s, 2, init);
  auto* dropout = dynamic_cast<DropoutLayer*>(layer.get());
  int n = 3;
  layer->reserve(n);
  // The mask of iteration 0, read back through the layer, becomes the reference's fixed multiplier.
  std::vector<float> ones(60, 1.0f), y(60);
  layer->forward(ones.data(), y.data(), n, RunContext{true, 0});
  std::vector<float> mask(dropout->mask().begin(), dropout->mask().end());
  size_t kept = 0;
  for (size_t i = 0; i < 60; ++i) {
    EXPECT_TRUE(mask[i] == 0.0f || std::fabs(mask[i] - 1.0f / 0.6f) < 1e-6);
    kept += mask[i] != 0.0f;
  }
  EXPECT_TRUE(kept > 20 && kept < 56);  // about 60% of 60
  check_layer_gradients(*layer, random_floats(60, 4), n, [&](const Vec& x, const std::vector<Vec>&) {
    Vec out(x.size());
    for (size_t i = 0; i < x.size(); ++i) out[i] = x[i] * mask[i];
    return out;
  }, "dropout");
}

TEST(layers_dropout_masks_are_keyed_by_seed_iteration_and_layer) {
  LayerSpec s = spec_of("Dropout", {1000});
  s.rate = 0.5;
  InitContext init{21, 0};
  auto mask_of = [&](int layer_index, int64_t iteration, uint64_t seed) {
    InitContext ic{seed, 0};
    auto layer = make_layer(s, layer_index, ic);
    layer->reserve(1);
    std::vector<float> ones(1000, 1.0f), y(1000);
    layer->forward(ones.data(), y.data(), 1, RunContext{true, iteration});
    return y;
  };
  EXPECT_TRUE(mask_of(1, 5, 21) == mask_of(1, 5, 21));  // resuming at iteration 5 redraws the same mask
  EXPECT_TRUE(mask_of(1, 5, 21) != mask_of(1, 6, 21));
  EXPECT_TRUE(mask_of(1, 5, 21) != mask_of(2, 5, 21));
  EXPECT_TRUE(mask_of(1, 5, 21) != mask_of(1, 5, 22));
  // Inference passes everything through unscaled.
  auto layer = make_layer(s, 1, init);
  layer->reserve(1);
  std::vector<float> x = random_floats(1000, 3), y(1000);
  layer->forward(x.data(), y.data(), 1, RunContext{false, 0});
  EXPECT_TRUE(x == y);
}

TEST(layers_activation_layer_gradients) {
  for (const char* act : {"relu", "sigmoid", "tanh", "softmax", "linear", "swish", "silu", "gelu", "elu", "leaky_relu",
                          "softplus"}) {
    LayerSpec s = spec_of("Activation", {3, 6});
    s.activation = act;
    InitContext init{1, 0};
    auto layer = make_layer(s, 0, init);
    check_layer_gradients(*layer, random_floats(36, 10, -3, 3), 2, [&](const Vec& x, const std::vector<Vec>&) {
      Vec y = x;
      ref_activation(act, y, 6);
      return y;
    }, std::string("activation ") + act);
  }
}

TEST(layers_activation_values_match_keras) {
  // Spot values from Keras 3 definitions: gelu is the exact (erf) form, leaky_relu's slope is 0.2.
  LayerSpec s = spec_of("Activation", {1});
  InitContext init{1, 0};
  auto value = [&](const char* act, float x) {
    s.activation = act;
    auto layer = make_layer(s, 0, init);
    float y = 0;
    layer->forward(&x, &y, 1, RunContext{});
    return double(y);
  };
  EXPECT_NEAR(value("gelu", 1.0f), 0.8413447460685429, 1e-6);
  EXPECT_NEAR(value("gelu", -0.5f), -0.15426876936299347, 1e-6);
  EXPECT_NEAR(value("leaky_relu", -2.0f), -0.4, 1e-7);
  EXPECT_NEAR(value("elu", -1.0f), -0.6321205588285577, 1e-6);
  EXPECT_NEAR(value("softplus", 0.0f), 0.6931471805599453, 1e-6);
  EXPECT_NEAR(value("swish", 1.0f), 0.7310585786300049, 1e-6);
  EXPECT_NEAR(value("softplus", 100.0f), 100.0, 1e-4);  // no overflow
  EXPECT_NEAR(value("sigmoid", -100.0f), 0.0, 1e-30);
  EXPECT_THROWS(value("mish", 1.0f));
}

TEST(layers_flatten_keeps_hwc_order) {
  LayerSpec s = spec_of("Flatten", {2, 3, 4});
  InitContext init{1, 0};
  auto layer = make_layer(s, 0, init);
  EXPECT_TRUE((layer->output_shape() == std::vector<int>{24}));
  std::vector<float> x(48), y(48);
  std::iota(x.begin(), x.end(), 0.0f);
  layer->reserve(2);
  layer->forward(x.data(), y.data(), 2, RunContext{});
  EXPECT_TRUE(x == y);  // (h*W + w)*C + c is already the NHWC memory order
  check_layer_gradients(*layer, x, 2, [](const Vec& xd, const std::vector<Vec>&) { return xd; }, "flatten");
}
