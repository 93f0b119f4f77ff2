// Shared by the kernel tests: restoring the ISA a test forced, and seeded random inputs.
#pragma once
#include <cstdint>
#include <random>
#include <vector>

#include "kernels/kernels.h"

namespace cnn_test {

// Forces nothing itself; puts back the ISA that was active when it was made.
struct IsaScope {
  cnn::kernels::Isa saved = cnn::kernels::active_isa();
  ~IsaScope() { cnn::kernels::select_isa(saved); }
};

// n floats uniform in [lo, hi) from mt19937(seed): the same inputs on every run.
inline std::vector<float> random_vec(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

}  // namespace cnn_test
