#include "core/initializers.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/rng.h"

namespace cnn {

void compute_fans(const std::vector<int>& shape, double& fan_in, double& fan_out) {
  if (shape.empty()) {
    fan_in = fan_out = 1;
  } else if (shape.size() == 1) {
    fan_in = fan_out = shape[0];
  } else {
    double field = 1;
    for (size_t i = 0; i + 2 < shape.size(); ++i) field *= shape[i];
    fan_in = shape[shape.size() - 2] * field;
    fan_out = shape[shape.size() - 1] * field;
  }
}

namespace {

enum class Mode { fan_in, fan_avg };

// keras.initializers.VarianceScaling with distribution "uniform" or "truncated_normal".
void variance_scaling(double scale, Mode mode, bool normal, double fan_in, double fan_out, Rng& rng,
                      std::vector<float>& out) {
  double n = mode == Mode::fan_in ? fan_in : (fan_in + fan_out) / 2.0;
  scale /= std::max(1.0, n);
  if (normal) {
    double stddev = std::sqrt(scale) / kTruncatedNormalStddevRatio;
    for (float& w : out) w = float(stddev * rng.truncated_normal());
  } else {
    double limit = std::sqrt(3.0 * scale);
    for (float& w : out) w = float(rng.uniform(-limit, limit));
  }
}

}  // namespace

void initialize(const InitializerSpec& spec, const std::vector<int>& shape, uint64_t key, std::vector<float>& out,
                const std::string& what) {
  size_t size = 1;
  for (int d : shape) size *= size_t(d);
  out.assign(size, 0.0f);
  double fan_in, fan_out;
  compute_fans(shape, fan_in, fan_out);
  Rng rng(key);
  const std::string& k = spec.kind;
  if (k == "glorot_uniform") {
    variance_scaling(1.0, Mode::fan_avg, false, fan_in, fan_out, rng, out);
  } else if (k == "glorot_normal") {
    variance_scaling(1.0, Mode::fan_avg, true, fan_in, fan_out, rng, out);
  } else if (k == "he_uniform") {
    variance_scaling(2.0, Mode::fan_in, false, fan_in, fan_out, rng, out);
  } else if (k == "he_normal") {
    variance_scaling(2.0, Mode::fan_in, true, fan_in, fan_out, rng, out);
  } else if (k == "random_normal") {
    for (float& w : out) w = float(spec.mean + spec.stddev * rng.normal());
  } else if (k == "random_uniform") {
    for (float& w : out) w = float(rng.uniform(spec.minval, spec.maxval));
  } else if (k == "zeros") {
  } else if (k == "ones") {
    std::fill(out.begin(), out.end(), 1.0f);
  } else if (k == "constant") {
    if (spec.values.empty()) {
      std::fill(out.begin(), out.end(), float(spec.value));
    } else {
      CNN_CHECK(spec.values.size() == size, what + ": constant initializer holds " +
                                                std::to_string(spec.values.size()) + " values, the parameter has " +
                                                std::to_string(size));
      std::copy(spec.values.begin(), spec.values.end(), out.begin());
    }
  } else {
    throw Error(kErrInvalidArgument, what + ": unknown initializer \"" + k + "\"");
  }
}

}  // namespace cnn
