// Keras 3 optimizers (SGD, RMSprop, Adam, AdamW), in float32 with Keras's update order and formulas.
// Slots per trainable parameter, in Keras's variable order:
//   sgd: none, or [momentum] when momentum > 0
//   rmsprop: [velocity (the mean square)] + [momentum] when momentum > 0 + [average_gradient] when centered
//   adam/adamw: [m, v] + [v_hat] when amsgrad
// weight_decay > 0 shrinks w by lr*wd*w before any of them (Keras applies it in the base optimizer).
#pragma once
#include <cstddef>
#include <cstdint>

#include "core/network.h"

namespace cnn {

class Optimizer {
 public:
  explicit Optimizer(const OptimizerSpec& spec);  // validates the hyper-parameters
  int slots() const { return slots_; }
  const OptimizerSpec& spec() const { return spec_; }
  // Changes the rate used from the next update on (Keras: optimizer.learning_rate.assign). The slots
  // and the step count are untouched. Throws Error(ERR_INVALID_ARGUMENT) unless lr is finite and >= 0.
  void set_learning_rate(double lr);

  // Updates w[0..n) with gradient g. slot[s] points at slot s of this parameter (n floats each).
  // `iterations` is the count of steps already taken (Keras's local_step is iterations + 1).
  void update(float* w, const float* g, float* const* slot, size_t n, int64_t iterations) const;

 private:
  enum class Kind { sgd, rmsprop, adam, adamw } kind_;
  OptimizerSpec spec_;
  int slots_ = 0;
};

}  // namespace cnn
