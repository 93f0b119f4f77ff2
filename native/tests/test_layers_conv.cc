// Conv2D and Dense: forward against a direct double-precision convolution, backward against central
// finite differences of it (see layer_reference.h for why that comparison is meaningful).
#include "core/layers/conv2d.h"
#include "core/layers/layer.h"
#include "core/thread_pool.h"
#include "tests/harness.h"
#include "tests/layer_reference.h"

using namespace cnn;
using namespace cnn_test;

namespace {

LayerSpec conv_spec(std::vector<int> input, int filters, int k, int stride, int dil, bool same,
                    const std::string& act = "linear", bool channels_first = false) {
  LayerSpec s;
  s.type = "Conv2D";
  s.name = "conv2d";
  s.input_shape = std::move(input);
  s.filters = filters;
  s.kernel_size[0] = k;
  s.kernel_size[1] = k == 3 ? 2 : k;  // non-square kernels where possible
  s.strides[0] = s.strides[1] = stride;
  s.dilation_rate[0] = s.dilation_rate[1] = dil;
  s.padding_same = same;
  s.activation = act;
  s.channels_first = channels_first;
  s.bias_initializer.kind = "random_normal";
  s.bias_initializer.stddev = 0.5;
  return s;
}

void check_conv(const LayerSpec& spec, int n, const std::string& what) {
  InitContext init{7, 0};
  auto layer = make_layer(spec, 0, init);
  std::vector<float> x = random_floats(layer->in_size() * n, 1234);
  check_layer_gradients(*layer, x, n, [&](const Vec& xd, const std::vector<Vec>& ps) {
    return ref_conv2d(spec, xd, n, ps[0], spec.use_bias ? &ps[1] : nullptr);
  }, what);
}

}  // namespace

TEST(layers_conv_valid_gradients) { check_conv(conv_spec({6, 5, 3}, 4, 3, 1, 1, false), 2, "conv valid"); }

TEST(layers_conv_same_stride2_gradients) {
  // 7x6 input, stride 2: "same" pads an odd total, the extra pixel at the bottom/right.
  check_conv(conv_spec({7, 6, 2}, 3, 3, 2, 1, true), 2, "conv same stride 2");
}

TEST(layers_conv_strided_valid_gradients) { check_conv(conv_spec({8, 7, 2}, 3, 3, 2, 1, false), 2, "conv valid stride 2"); }

TEST(layers_conv_dilation_gradients) {
  check_conv(conv_spec({9, 8, 2}, 3, 3, 1, 2, false), 2, "conv dilation 2 valid");
  check_conv(conv_spec({7, 7, 2}, 3, 3, 1, 2, true), 2, "conv dilation 2 same");
}

TEST(layers_conv_channels_first_gradients) {
  check_conv(conv_spec({2, 6, 5}, 3, 3, 1, 1, true, "relu", true), 2, "conv channels_first relu");
  check_conv(conv_spec({3, 5, 5}, 2, 3, 2, 1, false, "softmax", true), 2, "conv channels_first softmax");
}

TEST(layers_conv_no_bias_and_activations) {
  LayerSpec s = conv_spec({5, 5, 2}, 3, 3, 1, 1, true, "tanh");
  s.use_bias = false;
  check_conv(s, 2, "conv no bias tanh");
  for (const char* act : {"relu", "sigmoid", "softmax", "swish", "gelu", "elu", "leaky_relu", "softplus"})
    check_conv(conv_spec({4, 4, 2}, 3, 3, 1, 1, true, act), 2, std::string("conv ") + act);
}

TEST(layers_conv_large_batch_uses_chunks) {
  // More examples than one column buffer holds: the chunked batch must match example-by-example runs.
  LayerSpec s = conv_spec({64, 64, 4}, 3, 3, 1, 1, true, "relu");
  InitContext init{3, 0};
  auto layer = make_layer(s, 0, init);
  size_t per_example = 64 * 64 * 3 * 2 * 4;
  int n = int(Conv2DLayer::kColumnBudget / per_example) + 2;
  EXPECT_TRUE(n > 2);
  layer->reserve(n);
  size_t in = layer->in_size(), out = layer->out_size();
  std::vector<float> x = random_floats(in * n, 5), y(out * n), dx(in * n), dy = random_floats(out * n, 6);
  layer->forward(x.data(), y.data(), n, RunContext{true, 0});
  layer->backward(x.data(), y.data(), dy.data(), dx.data(), n);
  std::vector<float> dw_batch = layer->params()[0].grad, db_batch = layer->params()[1].grad;
  std::vector<double> dw_sum(dw_batch.size()), db_sum(db_batch.size());
  std::vector<float> dy_all = random_floats(out * n, 6);
  for (int i = 0; i < n; ++i) {
    std::vector<float> yi(out), dxi(in), dyi(dy_all.begin() + i * out, dy_all.begin() + (i + 1) * out);
    layer->forward(x.data() + i * in, yi.data(), 1, RunContext{true, 0});
    EXPECT_ARRAYS_CLOSE(yi.data(), y.data() + i * out, out, 1e-5, 1e-5, "chunked forward");
    layer->backward(x.data() + i * in, yi.data(), dyi.data(), dxi.data(), 1);
    EXPECT_ARRAYS_CLOSE(dxi.data(), dx.data() + i * in, in, 1e-5, 1e-5, "chunked dx");
    for (size_t k = 0; k < dw_sum.size(); ++k) dw_sum[k] += layer->params()[0].grad[k];
    for (size_t k = 0; k < db_sum.size(); ++k) db_sum[k] += layer->params()[1].grad[k];
  }
  std::vector<float> dw_want(dw_sum.begin(), dw_sum.end()), db_want(db_sum.begin(), db_sum.end());
  EXPECT_ARRAYS_CLOSE(dw_batch.data(), dw_want.data(), dw_want.size(), 1e-3, 1e-4, "chunked dW");
  EXPECT_ARRAYS_CLOSE(db_batch.data(), db_want.data(), db_want.size(), 1e-3, 1e-4, "chunked db");
}

TEST(layers_conv_geometry_errors) {
  InitContext init{1, 0};
  LayerSpec both = conv_spec({9, 9, 1}, 2, 3, 2, 2, false);
  EXPECT_THROWS(make_layer(both, 0, init));
  LayerSpec too_big = conv_spec({2, 2, 1}, 2, 3, 1, 1, false);
  EXPECT_THROWS(make_layer(too_big, 0, init));
  LayerSpec wrong_out = conv_spec({6, 6, 1}, 2, 3, 1, 1, false);
  wrong_out.output_shape = {5, 5, 2};
  EXPECT_THROWS(make_layer(wrong_out, 0, init));
}

TEST(layers_dense_gradients) {
  for (const char* act : {"linear", "relu", "softmax", "gelu"}) {
    LayerSpec s;
    s.type = "Dense";
    s.name = "dense";
    s.input_shape = {7};
    s.units = 5;
    s.activation = act;
    s.bias_initializer.kind = "random_uniform";
    InitContext init{5, 0};
    auto layer = make_layer(s, 0, init);
    int n = 3;
    std::vector<float> x = random_floats(7 * n, 77);
    check_layer_gradients(*layer, x, n, [&](const Vec& xd, const std::vector<Vec>& ps) {
      return ref_dense(s, xd, ps[0], &ps[1]);
    }, std::string("dense ") + act);
  }
}

// Up to 64 rows the products run transposed (y^T = W^T x^T, dx^T = W dy^T); past that as x W. Both
// against the double-precision reference: 3 rows, 64 (the last transposed) and 65 (the first not).
TEST(layers_dense_gradients_on_both_sides_of_the_transposed_rows) {
  for (int n : {3, 64, 65}) {
    LayerSpec s;
    s.type = "Dense";
    s.name = "dense";
    s.input_shape = {6};
    s.units = 4;
    s.activation = "tanh";
    s.bias_initializer.kind = "random_uniform";
    InitContext init{6, 0};
    auto layer = make_layer(s, 0, init);
    std::vector<float> x = random_floats(6 * n, 79 + n);
    check_layer_gradients(*layer, x, n, [&](const Vec& xd, const std::vector<Vec>& ps) {
      return ref_dense(s, xd, ps[0], &ps[1]);
    }, "dense rows " + std::to_string(n));
  }
}

// From 512 input units the transposed forward sums fixed chunks of the inputs, each thread a run of
// chunks (dense.cc): 1030 units make 4 chunks, the last shorter. Against the reference, and bit for bit
// the same output and gradients on 1, 2 and 3 threads (the chunks, not the threads, fix the sums).
TEST(layers_dense_chunked_inputs_match_reference_on_any_thread_count) {
  LayerSpec s;
  s.type = "Dense";
  s.name = "dense";
  s.input_shape = {1030};
  s.units = 5;
  s.activation = "relu";
  s.bias_initializer.kind = "random_uniform";
  const int n = 7;
  std::vector<float> x = random_floats(1030 * n, 83);
  std::vector<float> first_y, first_dx, first_dw;
  for (int threads : {1, 2, 3}) {
    ThreadPool::set_global_threads(threads);
    InitContext init{8, 0};
    auto layer = make_layer(s, 0, init);
    check_layer_gradients(*layer, x, n, [&](const Vec& xd, const std::vector<Vec>& ps) {
      return ref_dense(s, xd, ps[0], &ps[1]);
    }, "dense 1030 units, threads " + std::to_string(threads));
    std::vector<float> y(5 * n), dy = random_floats(5 * n, 84), dx(1030 * n);
    layer->forward(x.data(), y.data(), n, RunContext{true, 0});
    layer->backward(x.data(), y.data(), dy.data(), dx.data(), n);
    if (threads == 1) {
      first_y = y;
      first_dx = dx;
      first_dw = layer->params()[0].grad;
      continue;
    }
    EXPECT_TRUE(y == first_y);
    EXPECT_TRUE(dx == first_dx);
    EXPECT_TRUE(layer->params()[0].grad == first_dw);
  }
  ThreadPool::set_global_threads(ThreadPool::default_threads());
}

TEST(layers_dense_on_3d_input_acts_on_last_axis) {
  LayerSpec s;
  s.type = "Dense";
  s.name = "dense";
  s.input_shape = {2, 3, 4};
  s.units = 3;
  s.use_bias = false;
  InitContext init{5, 0};
  auto layer = make_layer(s, 0, init);
  EXPECT_TRUE((layer->output_shape() == std::vector<int>{2, 3, 3}));
  std::vector<float> x = random_floats(24 * 2, 78);
  check_layer_gradients(*layer, x, 2, [&](const Vec& xd, const std::vector<Vec>& ps) {
    return ref_dense(s, xd, ps[0], nullptr);
  }, "dense 3-d");
}
