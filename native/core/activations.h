// Keras activations and their derivatives, applied row-wise to a [rows, cols] block (softmax runs over
// the last axis, i.e. over each row's `cols` values; the others are elementwise).
#pragma once
#include <cstddef>
#include <string>

namespace cnn {

enum class Activation { linear, relu, sigmoid, tanh, softmax, swish, gelu, elu, leaky_relu, softplus };

// Accepts Keras names ("silu" = swish, "None"/"" = linear); throws ERR_INVALID_ARGUMENT otherwise.
Activation parse_activation(const std::string& name);

// y = f(z). z and y may be the same buffer.
void activation_forward(Activation a, const float* z, float* y, size_t rows, size_t cols);
// g holds dL/dy on entry and dL/dz on return. z is the pre-activation, y = f(z).
void activation_backward(Activation a, const float* z, const float* y, float* g, size_t rows, size_t cols);

// Keras 3 constants.
inline constexpr float kLeakyReluSlope = 0.2f;
inline constexpr float kEluAlpha = 1.0f;

}  // namespace cnn
