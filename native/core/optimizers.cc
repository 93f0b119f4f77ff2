#include "core/optimizers.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/parallel.h"
#include "kernels/kernels.h"

namespace cnn {

Optimizer::Optimizer(const OptimizerSpec& spec) : spec_(spec) {
  const std::string& t = spec.type;
  if (t == "sgd") kind_ = Kind::sgd;
  else if (t == "rmsprop") kind_ = Kind::rmsprop;
  else if (t == "adam") kind_ = Kind::adam;
  else if (t == "adamw") kind_ = Kind::adamw;
  else throw Error(kErrInvalidArgument, "unknown optimizer \"" + t + "\" (expected sgd, rmsprop, adam or adamw)");
  CNN_CHECK(spec.learning_rate >= 0 && std::isfinite(spec.learning_rate), "optimizer learning_rate must be >= 0");
  CNN_CHECK(spec.momentum >= 0 && spec.momentum <= 1, "optimizer momentum must be in [0, 1]");
  CNN_CHECK(spec.epsilon >= 0, "optimizer epsilon must be >= 0");
  CNN_CHECK(spec.weight_decay >= 0, "optimizer weight_decay must be >= 0");
  switch (kind_) {
    case Kind::sgd:
      slots_ = spec.momentum > 0 ? 1 : 0;
      break;
    case Kind::rmsprop:
      CNN_CHECK(spec.rho >= 0 && spec.rho <= 1, "rmsprop rho must be in [0, 1]");
      slots_ = 1 + (spec.momentum > 0 ? 1 : 0) + (spec.centered ? 1 : 0);
      break;
    case Kind::adam:
    case Kind::adamw:
      CNN_CHECK(spec.beta_1 >= 0 && spec.beta_1 < 1, "adam beta_1 must be in [0, 1)");
      CNN_CHECK(spec.beta_2 >= 0 && spec.beta_2 < 1, "adam beta_2 must be in [0, 1)");
      slots_ = spec.amsgrad ? 3 : 2;
      break;
  }
}

void Optimizer::set_learning_rate(double lr) {
  CNN_CHECK(lr >= 0 && std::isfinite(lr), "optimizer learning_rate must be finite and >= 0");
  spec_.learning_rate = lr;
}

void Optimizer::update(float* w, const float* g, float* const* slot, size_t n, int64_t iterations) const {
  const float lr = float(spec_.learning_rate);
  const float momentum = float(spec_.momentum), eps = float(spec_.epsilon);
  constexpr size_t kGrain = 8192;  // a few thousand parameters already pay for a hand-off
  // Decoupled weight decay, applied before the update as Keras's base optimizer does (for any optimizer
  // given a weight_decay; TypeScript sets 0.004 for adamw only).
  const float decay = float(spec_.weight_decay);
  if (decay > 0.0f)
    parallel_for_pinned(n, kGrain, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) w[i] -= w[i] * decay * lr;
    });
  switch (kind_) {
    case Kind::sgd: {
      float* m = slots_ > 0 ? slot[0] : nullptr;
      parallel_for_pinned(n, kGrain, [&](size_t b, size_t e) {
        if (!m) {
          for (size_t i = b; i < e; ++i) w[i] -= lr * g[i];
          return;
        }
        for (size_t i = b; i < e; ++i) {
          m[i] = momentum * m[i] - lr * g[i];
          if (spec_.nesterov)
            w[i] += momentum * m[i] - lr * g[i];
          else
            w[i] += m[i];
        }
      });
      break;
    }
    case Kind::rmsprop: {
      // Keras forms 1 - rho in double (a Python float) and casts once; so do we.
      const kernels::RmspropStep step{float(spec_.rho), float(1.0 - spec_.rho), lr, momentum, eps};
      float* vel = slot[0];
      float* mom = spec_.momentum > 0 ? slot[1] : nullptr;
      float* avg = spec_.centered ? slot[spec_.momentum > 0 ? 2 : 1] : nullptr;
      parallel_for_pinned(n, kGrain, [&](size_t b, size_t e) {
        kernels::rmsprop_update(w + b, g + b, vel + b, mom ? mom + b : nullptr, avg ? avg + b : nullptr, e - b, step);
      });
      break;
    }
    case Kind::adam:
    case Kind::adamw: {
      const float b1 = float(spec_.beta_1), b2 = float(spec_.beta_2);
      const double t = double(iterations + 1);
      const float b1_power = float(std::pow(double(b1), t)), b2_power = float(std::pow(double(b2), t));
      const kernels::AdamStep step{float(1.0 - spec_.beta_1), float(1.0 - spec_.beta_2),
                                   lr * std::sqrt(1.0f - b2_power) / (1.0f - b1_power), eps};
      float* m = slot[0];
      float* v = slot[1];
      float* vhat = spec_.amsgrad ? slot[2] : nullptr;
      parallel_for_pinned(n, kGrain, [&](size_t b, size_t e) {
        kernels::adam_update(w + b, g + b, m + b, v + b, vhat ? vhat + b : nullptr, e - b, step);
      });
      break;
    }
  }
}

}  // namespace cnn
