// Optimizer update loops, one source compiled once per ISA (ref/, avx2/, avx512/, each with its
// folder's flags) and dispatched through the kernel table, so the sqrt and division of every
// parameter run as wide as the CPU allows.
//
// Contract (kernels.h, adam_update / rmsprop_update): the formulas and operation order of
// kernels/ref/optimizer_ref.cc, Keras's. Multiply-adds are never fused (fp-contract off below): add,
// multiply, divide and sqrt are correctly rounded on every ISA, so each ISA's result is bit for bit the
// reference's, which native/tests/test_vector_loops.cc checks. Pointers do not alias; the loops keep
// nothing in registers across elements.
#pragma once
#include <cmath>
#include <cstddef>

#include "kernels/kernels.h"

#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#endif

namespace cnn::kernels {

template <bool kAmsgrad>
static void adam_loop(float* __restrict w, const float* __restrict g, float* __restrict m, float* __restrict v,
                      float* __restrict vhat, size_t n, const AdamStep& s) {
  const float one_minus_b1 = s.one_minus_beta_1, one_minus_b2 = s.one_minus_beta_2, alpha = s.alpha, eps = s.epsilon;
  for (size_t i = 0; i < n; ++i) {
    float mi = m[i] + (g[i] - m[i]) * one_minus_b1;
    float vi = v[i] + (g[i] * g[i] - v[i]) * one_minus_b2;
    m[i] = mi;
    v[i] = vi;
    if (kAmsgrad) {
      vi = vhat[i] < vi ? vi : vhat[i];  // std::max(vhat, v), as the reference
      vhat[i] = vi;
    }
    w[i] -= alpha * mi / (std::sqrt(vi) + eps);
  }
}

static void adam_update_loop(float* w, const float* g, float* m, float* v, float* vhat, size_t n, const AdamStep& s) {
  if (vhat)
    adam_loop<true>(w, g, m, v, vhat, n, s);
  else
    adam_loop<false>(w, g, m, v, nullptr, n, s);
}

template <bool kCentered, bool kMomentum>
static void rmsprop_loop(float* __restrict w, const float* __restrict g, float* __restrict vel, float* __restrict mom,
                         float* __restrict avg, size_t n, const RmspropStep& s) {
  const float rho = s.rho, one_minus_rho = s.one_minus_rho, lr = s.learning_rate, momentum = s.momentum, eps = s.epsilon;
  for (size_t i = 0; i < n; ++i) {
    float vi = rho * vel[i] + one_minus_rho * (g[i] * g[i]);
    vel[i] = vi;
    float denominator = vi;
    if (kCentered) {
      float ai = rho * avg[i] + one_minus_rho * g[i];
      avg[i] = ai;
      denominator -= ai * ai;
    }
    float increment = lr * g[i] / std::sqrt(denominator + eps);
    if (kMomentum) {
      float mi = momentum * mom[i] + increment;
      mom[i] = mi;
      w[i] -= mi;
    } else {
      w[i] -= increment;
    }
  }
}

static void rmsprop_update_loop(float* w, const float* g, float* vel, float* mom, float* avg, size_t n,
                                const RmspropStep& s) {
  if (!mom && !avg)
    rmsprop_loop<false, false>(w, g, vel, nullptr, nullptr, n, s);
  else if (!avg)
    rmsprop_loop<false, true>(w, g, vel, mom, nullptr, n, s);
  else if (!mom)
    rmsprop_loop<true, false>(w, g, vel, nullptr, avg, n, s);
  else
    rmsprop_loop<true, true>(w, g, vel, mom, avg, n, s);
}

}  // namespace cnn::kernels

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif
