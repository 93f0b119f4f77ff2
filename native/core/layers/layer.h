// The layer interface the Network drives. Every tensor is [n, ...] batch-first; a layer sees its input
// and output as flat rows of in_size()/out_size() floats per example, shaped as the spec says.
// Buffers: a layer owns whatever it must keep between forward and backward (pre-activations, masks,
// normalized inputs) and its scratch; reserve(max_batch) sizes them once, so steady-state batches of at
// most max_batch examples allocate nothing.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/checked.h"
#include "core/error.h"
#include "core/network.h"

namespace cnn {

struct Param {
  ParamInfo info;
  std::vector<float> value;
  std::vector<float> grad;  // trainable parameters only; backward() overwrites it
  RegularizerSpec regularizer;
};

struct RunContext {
  bool training = false;
  int64_t iteration = 0;  // optimizer iterations before this step (keys the dropout masks)
  int64_t example_offset = 0;  // index of example 0 in the global batch (data-parallel shards)
};

// Where parameters get their random keys: (network seed, index of the parameter in the network).
struct InitContext {
  uint64_t seed = 0;
  size_t next_param = 0;
  uint64_t next_key();
};

class Layer {
 public:
  Layer(const LayerSpec& spec, int index);
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  const LayerSpec& spec() const { return spec_; }
  const std::vector<int>& output_shape() const { return out_shape_; }
  size_t in_size() const { return in_size_; }
  size_t out_size() const { return out_size_; }
  std::vector<Param>& params() { return params_; }

  virtual void reserve(int max_batch) {}
  virtual void forward(const float* x, float* y, int n, const RunContext& ctx) = 0;
  // dy holds dL/dy and may be overwritten. dx receives dL/dx, or is null when nobody needs it.
  // x and y are the ones of the last forward() (training mode).
  virtual void backward(const float* x, const float* y, float* dy, float* dx, int n) = 0;
  // Applies state updates that must wait until the step is known to be good (BN moving statistics).
  virtual void commit() {}
  // True when an example's output depends on the other examples of the batch (BatchNormalization's
  // batch statistics in training): the Network then runs the layer on the whole batch, never on parts.
  virtual bool couples_examples(const RunContext&) const { return false; }
  // How many times one example uses each weight (a Conv2D: its output positions): the length of the
  // sum behind each weight-gradient element. 0 for a layer without trainable weights.
  virtual size_t weight_uses_per_example() const { return 0; }

  // Part replicas (see network.cc): a replica computes one part of the batch with `master`'s parameter
  // values, which it reads in place; it keeps only its own buffers and, once allocate_gradients() ran,
  // its own gradients, which the Network adds to the master's.
  void read_values_from(const Layer& master);
  void allocate_gradients();

  // Set by the Network on the last layer when softmax and cross-entropy are fused: the incoming dy is
  // then already the gradient with respect to the pre-activation.
  bool dy_is_preactivation = false;

 protected:
  void set_output_shape(std::vector<int> shape);
  Param& add_param(const std::string& name, std::vector<int> shape, bool trainable);
  // A parameter's values: the layer's own, or its master's for a part replica.
  const float* param_value(size_t i) const { return (values_from_ ? values_from_->params_ : params_)[i].value.data(); }

  LayerSpec spec_;
  int index_;
  std::vector<int> out_shape_;
  size_t in_size_ = 0, out_size_ = 0;
  std::vector<Param> params_;
  const Layer* values_from_ = nullptr;
};

// Builds a layer from its spec (spec.input_shape must be set); initializes its parameters.
std::unique_ptr<Layer> make_layer(const LayerSpec& spec, int index, InitContext& init);

// The element count of a shape; throws (never wraps) when it passes `limit`. Activations are indexed
// with int in the kernels, so a per-example shape must fit in int32; parameters only need size_t.
inline constexpr int64_t kMaxParamSize = int64_t(1) << 48;
size_t shape_size(const std::vector<int>& shape, int64_t limit = kMaxInt32);

// Runs fn; a cnn::Error it throws gets "<layer>: " in front, so geometry failures name their layer.
template <typename Fn>
auto with_layer_name(const std::string& layer, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Error& e) {
    throw Error(e.code(), layer + ": " + e.what());
  }
}
std::string shape_text(const std::vector<int>& shape);

}  // namespace cnn
