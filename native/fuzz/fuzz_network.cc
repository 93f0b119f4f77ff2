// libFuzzer target: a Network built from an arbitrary NetworkSpec (any layer type, name, shape, window,
// activation, initializer, rate, optimizer), then, when it builds, a few training steps, an evaluation
// and forward_all on tiny random data with labels that may be out of range. The contract of the core:
// every call returns or throws cnn::Error; nothing else escapes, nothing reads or writes outside its
// buffers (ASan), nothing is undefined (UBSan). Sizes that allocate (dimensions, filters, units, kernel
// sizes) are drawn small so a valid spec stays within a few MiB; the numbers that only shape geometry
// (strides, dilation, pool sizes) and every invalid value (0, negative, INT_MAX, NaN) are drawn freely.
#include <fuzzer/FuzzedDataProvider.h>

#include <climits>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/network.h"

namespace {

const char* const kTypes[] = {"Conv2D", "Dense", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D", "Flatten",
                              "Dropout", "BatchNormalization", "Activation", "Bogus", ""};
const char* const kActivations[] = {"relu", "sigmoid", "tanh", "softmax", "linear", "swish", "gelu", "elu", "leaky_relu",
                                    "softplus", "nope"};
const char* const kInitializers[] = {"glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "random_normal",
                                     "random_uniform", "zeros", "ones", "constant", "lecun"};
const char* const kOptimizers[] = {"sgd", "rmsprop", "adam", "adamw", "adagrad"};

template <size_t N>
std::string pick_name(FuzzedDataProvider& in, const char* const (&names)[N]) {
  return names[in.ConsumeIntegralInRange<size_t>(0, N - 1)];
}

// A size that allocates: small, or an invalid value (never a valid huge one).
int small_or_invalid(FuzzedDataProvider& in, int max) {
  if (in.ConsumeIntegralInRange(0, 15) == 0) return in.PickValueInArray({0, -1, INT_MIN, -7});
  return in.ConsumeIntegralInRange(1, max);
}

// A geometry number: small mostly, sometimes anything.
int any_int(FuzzedDataProvider& in, int small_max) {
  switch (in.ConsumeIntegralInRange(0, 7)) {
    case 0:
      return in.ConsumeIntegral<int>();
    case 1:
      return in.PickValueInArray({INT_MAX, INT_MAX - 1, INT_MIN, 0, -1, 1 << 30, 65536});
    default:
      return in.ConsumeIntegralInRange(1, small_max);
  }
}

double any_double(FuzzedDataProvider& in, double lo, double hi) {
  switch (in.ConsumeIntegralInRange(0, 9)) {
    case 0:
      return in.PickValueInArray({std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                                  -std::numeric_limits<double>::infinity(), -1.0, 0.0, 1.0, 1e300});
    default:
      return lo + (hi - lo) * in.ConsumeProbability<double>();
  }
}

std::vector<int> shape(FuzzedDataProvider& in) {
  std::vector<int> s;
  int rank = in.PickValueInArray({1, 3, 3, 3, 0, 2, 4});
  for (int i = 0; i < rank; ++i) s.push_back(small_or_invalid(in, rank == 1 ? 64 : 10));
  return s;
}

cnn::InitializerSpec initializer(FuzzedDataProvider& in) {
  cnn::InitializerSpec init;
  init.kind = pick_name(in, kInitializers);
  init.value = any_double(in, -2, 2);
  init.mean = any_double(in, -1, 1);
  init.stddev = any_double(in, 0, 1);
  init.minval = any_double(in, -1, 0);
  init.maxval = any_double(in, 0, 1);
  if (in.ConsumeBool()) init.values.assign(in.ConsumeIntegralInRange<size_t>(0, 64), 0.5f);
  return init;
}

cnn::LayerSpec layer(FuzzedDataProvider& in, int index) {
  cnn::LayerSpec l;
  l.type = pick_name(in, kTypes);
  l.name = in.ConsumeBool() ? "" : l.type + std::to_string(index);
  if (in.ConsumeIntegralInRange(0, 9) == 0) l.input_shape = shape(in);
  if (in.ConsumeIntegralInRange(0, 9) == 0) l.output_shape = shape(in);
  l.filters = small_or_invalid(in, 12);
  l.units = small_or_invalid(in, 16);
  for (int a = 0; a < 2; ++a) {
    l.kernel_size[a] = small_or_invalid(in, 5);
    l.strides[a] = any_int(in, 3);
    l.dilation_rate[a] = any_int(in, 3);
    l.pool_size[a] = any_int(in, 3);
  }
  l.padding_same = in.ConsumeBool();
  l.channels_first = in.ConsumeIntegralInRange(0, 3) == 0;
  l.activation = pick_name(in, kActivations);
  l.use_bias = in.ConsumeBool();
  l.kernel_initializer = initializer(in);
  l.bias_initializer = initializer(in);
  l.kernel_regularizer.l1 = in.ConsumeBool() ? 0 : any_double(in, 0, 0.01);
  l.kernel_regularizer.l2 = in.ConsumeBool() ? 0 : any_double(in, 0, 0.01);
  l.rate = any_double(in, 0, 1);
  l.has_dropout_seed = in.ConsumeBool();
  l.dropout_seed = in.ConsumeIntegral<uint64_t>();
  l.momentum = any_double(in, 0, 1);
  l.epsilon = any_double(in, 1e-5, 0.1);
  l.center = in.ConsumeBool();
  l.scale = in.ConsumeBool();
  return l;
}

cnn::NetworkSpec network(FuzzedDataProvider& in) {
  cnn::NetworkSpec s;
  s.input_shape = shape(in);
  int layers = in.ConsumeIntegralInRange(0, 6);
  for (int i = 0; i < layers; ++i) s.layers.push_back(layer(in, i));
  s.loss = in.PickValueInArray({"sparse_categorical_crossentropy", "categorical_crossentropy", "mse"});
  s.optimizer.type = pick_name(in, kOptimizers);
  s.optimizer.learning_rate = any_double(in, 0, 0.1);
  s.optimizer.momentum = any_double(in, 0, 1);
  s.optimizer.nesterov = in.ConsumeBool();
  s.optimizer.rho = any_double(in, 0, 1);
  s.optimizer.centered = in.ConsumeBool();
  s.optimizer.beta_1 = any_double(in, 0, 1);
  s.optimizer.beta_2 = any_double(in, 0, 1);
  s.optimizer.epsilon = any_double(in, 1e-8, 1e-3);
  s.optimizer.amsgrad = in.ConsumeBool();
  s.optimizer.weight_decay = any_double(in, 0, 0.01);
  s.seed = in.ConsumeIntegral<uint64_t>();
  return s;
}

void run(FuzzedDataProvider& in) {
  cnn::NetworkSpec spec = network(in);
  std::unique_ptr<cnn::Network> net;
  try {
    net = std::make_unique<cnn::Network>(spec);
  } catch (const cnn::Error&) {
    return;
  }
  const size_t input = net->input_size();
  const int classes = net->num_classes();
  for (int step = 0, steps = in.ConsumeIntegralInRange(1, 3); step < steps; ++step) {
    int n = in.ConsumeIntegralInRange(1, 4);
    std::vector<float> x(size_t(n) * input);
    for (float& v : x) v = in.ConsumeFloatingPointInRange<float>(-4, 4);
    std::vector<int32_t> y(static_cast<size_t>(n));
    for (int32_t& v : y) v = in.ConsumeIntegralInRange(0, 7) == 0 ? in.ConsumeIntegral<int32_t>() : in.ConsumeIntegralInRange(0, classes - 1);
    try {
      net->train_batch(x.data(), y.data(), n);
    } catch (const cnn::Error&) {
    }
    std::vector<float> probs(size_t(n) * size_t(classes));
    try {
      net->evaluate_batch(x.data(), in.ConsumeBool() ? y.data() : nullptr, n, probs.data());
    } catch (const cnn::Error&) {
    }
  }
  std::vector<float> one(input, 0.25f);
  auto outs = net->forward_all(one.data());
  (void)outs;
  for (size_t i = 0; i < net->params().size(); ++i) (void)net->param_data(i)[net->param_size(i) - 1];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  run(in);
  return 0;
}
