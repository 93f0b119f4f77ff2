// Keras initializers, drawn from a deterministic generator keyed by (network seed, parameter index).
#pragma once
#include <cstdint>
#include <vector>

#include "core/network.h"

namespace cnn {

// Keras's fan computation: for a kernel of shape (..., in, out) the receptive field is the product of the
// leading dimensions; fan_in = in * field, fan_out = out * field. A 1-D shape has fan_in = fan_out = size.
void compute_fans(const std::vector<int>& shape, double& fan_in, double& fan_out);

// Fills `out` (size = product of shape) according to `spec`. Throws ERR_INVALID_ARGUMENT for an unknown
// kind or a constant array of the wrong length (naming `what`).
void initialize(const InitializerSpec& spec, const std::vector<int>& shape, uint64_t key, std::vector<float>& out,
                const std::string& what);

// tf.random.truncated_normal keeps values within 2 standard deviations; its spread is this fraction of
// the requested stddev, so Keras's variance scaling divides by it to hit the intended variance.
inline constexpr double kTruncatedNormalStddevRatio = 0.87962566103423978;

}  // namespace cnn
