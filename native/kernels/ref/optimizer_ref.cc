// The optimizer updates as plain loops, one element at a time, compiled without fusing multiply-adds:
// the reference every ISA's update loop (impl/optimizer_loops.h) must match bit for bit.
#include <cmath>

#include "kernels/kernels.h"

#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace cnn::kernels {

void adam_update_ref(float* w, const float* g, float* m, float* v, float* vhat, size_t n, const AdamStep& s) {
  for (size_t i = 0; i < n; ++i) {
    float mi = m[i] + (g[i] - m[i]) * s.one_minus_beta_1;
    float vi = v[i] + (g[i] * g[i] - v[i]) * s.one_minus_beta_2;
    m[i] = mi;
    v[i] = vi;
    if (vhat) {
      vi = std::max(vhat[i], vi);
      vhat[i] = vi;
    }
    w[i] -= s.alpha * mi / (std::sqrt(vi) + s.epsilon);
  }
}

void rmsprop_update_ref(float* w, const float* g, float* vel, float* mom, float* avg, size_t n, const RmspropStep& s) {
  for (size_t i = 0; i < n; ++i) {
    float vi = s.rho * vel[i] + s.one_minus_rho * (g[i] * g[i]);
    vel[i] = vi;
    float denominator = vi;
    if (avg) {
      float ai = s.rho * avg[i] + s.one_minus_rho * g[i];
      avg[i] = ai;
      denominator -= ai * ai;
    }
    float increment = s.learning_rate * g[i] / std::sqrt(denominator + s.epsilon);
    if (mom) {
      float mi = s.momentum * mom[i] + increment;
      mom[i] = mi;
      w[i] -= mi;
    } else {
      w[i] -= increment;
    }
  }
}

}  // namespace cnn::kernels
