// A sequential network: layers, parameters, loss, optimizer and one training step.
// The TypeScript side validates the config and infers every shape; the addon converts it into a
// NetworkSpec; the constructor re-checks with CNN_CHECK and never trusts it blindly.
// Layout: every activation is NHWC (batch first). A channels_first Conv2D receives (C,H,W) items
// and transposes at its own boundary.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/layers/preprocessing_spec.h"

namespace cnn {

struct InitializerSpec {
  std::string kind = "glorot_uniform";  // glorot_uniform|glorot_normal|he_uniform|he_normal|random_normal|
                                        // random_uniform|zeros|ones|constant
  double value = 0;                     // constant (scalar)
  std::vector<float> values;            // constant holding an explicit array (in the parameter's layout)
  double mean = 0, stddev = 0.05;       // random_normal
  double minval = -0.05, maxval = 0.05; // random_uniform
};

struct RegularizerSpec {
  double l1 = 0, l2 = 0;  // penalty l1*sum|w| + l2*sum w^2, added to the loss
};

struct LayerSpec {
  std::string type;  // Conv2D MaxPooling2D AveragePooling2D Flatten Dense Dropout BatchNormalization
                     // GlobalAveragePooling2D Activation Rescaling Resizing ZeroPadding2D Cropping2D
                     // Reshape RandomFlip RandomTranslation RandomRotation RandomZoom RandomContrast
                     // RandomBrightness
  std::string name;  // conv2d, conv2d_1 ...
  std::vector<int> input_shape, output_shape;  // without the batch axis, as the layer sees them
  // Conv2D / Dense
  int filters = 0, units = 0;
  int kernel_size[2] = {1, 1}, strides[2] = {1, 1}, dilation_rate[2] = {1, 1};
  bool padding_same = false;
  bool channels_first = false;
  std::string activation = "linear";  // relu sigmoid tanh softmax linear swish gelu elu leaky_relu softplus
  bool use_bias = true;
  InitializerSpec kernel_initializer, bias_initializer;
  RegularizerSpec kernel_regularizer, bias_regularizer;
  // pooling
  int pool_size[2] = {2, 2};
  // Dropout
  double rate = 0;
  uint64_t dropout_seed = 0;
  bool has_dropout_seed = false;
  // BatchNormalization
  double momentum = 0.99, epsilon = 1e-3;
  bool center = true, scale = true;
  // Preprocessing and augmentation layers (core/layers/preprocessing.h, augment.h)
  PreprocessingSpec pre;
};

struct OptimizerSpec {
  std::string type = "rmsprop";  // sgd rmsprop adam adamw
  double learning_rate = 0.001;
  double momentum = 0;           // sgd, rmsprop
  bool nesterov = false;         // sgd
  double rho = 0.9;              // rmsprop
  bool centered = false;         // rmsprop
  double beta_1 = 0.9, beta_2 = 0.999;
  double epsilon = 1e-7;
  bool amsgrad = false;
  double weight_decay = 0;       // adamw (default 0.004 set by TypeScript)
};

struct NetworkSpec {
  std::vector<int> input_shape;  // e.g. {28, 28, 1}
  std::vector<LayerSpec> layers;
  std::string loss = "sparse_categorical_crossentropy";  // or categorical_crossentropy
  OptimizerSpec optimizer;
  uint64_t seed = 0;  // initializers and dropout
};

struct ParamInfo {
  std::string layer, name;  // "conv2d", "kernel" | "bias" | "gamma" | "beta" | "moving_mean" | "moving_variance"
  std::vector<int> shape;   // Keras layout: conv kernel (kh,kw,in,out), dense kernel (in,out)
  bool trainable = true;
};

// Data-parallel training (several processes, one model; see native/mpi/ and native/addon/mpi_bridge.cc).
// The core knows no MPI: a step asks a StepSync to sum values over all processes. Every process runs
// the same step on its own shard of the global batch; after the sums every process holds the same
// averaged gradient and applies the same optimizer update, so the weights stay identical.
class StepSync {
 public:
  virtual ~StepSync() = default;
  // In place: each value becomes its sum over all processes. Throws cnn::Error on failure or timeout.
  virtual void sum(double* values, size_t count) = 0;
  virtual void sum(float* const* buffers, const size_t* sizes, size_t count) = 0;
};

// This process's part of a global batch: examples [offset, offset + n) of `global_n`, n may be 0.
struct Shard {
  int global_n = 0;
  int offset = 0;
  StepSync* sync = nullptr;
};

struct BatchResult {
  double loss = 0;   // mean cross-entropy over the batch plus regularization penalty
  int correct = 0;   // argmax == label
  int count = 0;
};

// Where a training step's time goes: wall seconds of each layer's forward and backward (all its batch
// parts together), of the loss and of the update (gradient checks, optimizer), summed over `steps`.
struct StepProfile {
  std::vector<std::string> layers;
  std::vector<double> forward_s, backward_s;
  double loss_s = 0, update_s = 0;
  int64_t steps = 0;
};

class Network {
 public:
  explicit Network(const NetworkSpec& spec);
  ~Network();
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  const NetworkSpec& spec() const;
  int num_classes() const;
  size_t input_size() const;  // floats per example

  // Parameters in layer order (kernel before bias; BN: gamma, beta, moving_mean, moving_variance).
  const std::vector<ParamInfo>& params() const;
  float* param_data(size_t i);
  size_t param_size(size_t i) const;

  // Optimizer state: iteration counter and, per trainable parameter, `optimizer_slots()` buffers
  // of param_size floats (sgd+momentum and rmsprop: 1 [velocity|rms]; adam/adamw: 2 [m, v]; plain sgd 0).
  // Keras's optional extras follow, in Keras's variable order: rmsprop [rms, momentum if momentum > 0,
  // average_gradient if centered]; adam/adamw [m, v, v_hat if amsgrad]. optimizer_slot() throws for a
  // non-trainable parameter.
  int64_t iterations() const;
  void set_iterations(int64_t it);
  int optimizer_slots() const;
  // Sets the optimizer's learning rate (and spec().optimizer.learning_rate) for the following steps;
  // throws Error(ERR_INVALID_ARGUMENT) unless finite and >= 0. Not to be called while a batch runs.
  void set_learning_rate(double lr);
  float* optimizer_slot(size_t param, int slot);

  // One step: forward, loss, backward, optimizer update. x is [n, input] already preprocessed;
  // labels are class indices. Throws Error(ERR_NON_FINITE) before updating when the loss is NaN/inf.
  BatchResult train_batch(const float* x, const int32_t* labels, int n);
  // The same step for one shard of a global batch (data-parallel training): the loss and gradients
  // are weighted by n / global_n and summed over the processes, so the update equals one process's on
  // the whole batch (up to float rounding), however unevenly the batch is split. BatchNormalization
  // normalizes with this shard's statistics; its moving statistics are averaged over the processes,
  // weighted the same way. The result (loss, correct, count) is the global batch's.
  BatchResult train_shard(const float* x, const int32_t* labels, int n, const Shard& shard);
  // Inference (dropout off, BN moving statistics). probs (nullable) receives [n, classes]. Large n is
  // processed in slices, so it does not grow the buffers beyond max(training batch, 64) examples.
  // labels may be null (then loss/correct are 0).
  BatchResult evaluate_batch(const float* x, const int32_t* labels, int n, float* probs);
  // Times the training steps that follow (set_profiling(true) also clears what was measured); off by
  // default, when it costs nothing.
  void set_profiling(bool on);
  StepProfile profile() const;
  // Inference for one example, returning every layer's output (for pictures of feature maps), one entry
  // per layer in order (the input itself is not included).
  std::vector<std::vector<float>> forward_all(const float* x);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Asks the CPU to start loading examples idx[0..n) of a dataset of `count` examples (indices outside it
// are skipped): the training loop names the next batch's examples before running a step, so its
// gather finds them in cache instead of waiting on memory for every shuffled example.
void prefetch_examples(const void* data, size_t example_bytes, size_t count, const int32_t* idx, int n);

// Gathers examples idx[0..n) of a uint8 dataset into a float batch: out = pixel * scale + offset.
void assemble_batch(const uint8_t* images, size_t example_size, const int32_t* idx, int n, float scale,
                    float offset, float* out);

}  // namespace cnn
