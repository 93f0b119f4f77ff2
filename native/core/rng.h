// Deterministic random numbers for initializers and dropout, independent of the C++ library (std::
// distributions differ between implementations, so they would break "same seed, same weights").
// splitmix64 is used both as a stream generator and as a counter-based hash: value i of a stream keyed
// by k is mix(k + (i+1)*golden), so any element can be drawn without walking the ones before it.
#pragma once
#include <cmath>
#include <cstdint>

namespace cnn {

inline constexpr uint64_t kGoldenGamma = 0x9E3779B97F4A7C15ull;

inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// A key for a stream derived from several integers (seed, iteration, layer ...), order-sensitive.
inline uint64_t derive_key(uint64_t key, uint64_t value) { return mix64(key ^ mix64(value + kGoldenGamma)); }

// Element `i` of the stream keyed by `key`: 64 random bits, or a uniform double in [0, 1).
inline uint64_t counter_bits(uint64_t key, uint64_t i) { return mix64(key + (i + 1) * kGoldenGamma); }
inline double counter_uniform(uint64_t key, uint64_t i) { return double(counter_bits(key, i) >> 11) * 0x1.0p-53; }

class Rng {
 public:
  explicit Rng(uint64_t key) : state_(key) {}
  uint64_t next_u64() { return mix64(state_ += kGoldenGamma); }
  double uniform() { return double(next_u64() >> 11) * 0x1.0p-53; }  // [0, 1)
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Standard normal by Box-Muller; the second value of each pair is kept for the next call.
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u1;
    do u1 = uniform(); while (u1 <= 0.0);
    double u2 = uniform();
    double r = std::sqrt(-2.0 * std::log(u1)), a = 6.283185307179586 * u2;
    spare_ = r * std::sin(a);
    has_spare_ = true;
    return r * std::cos(a);
  }
  // Standard normal restricted to [-2, 2] by resampling, like tf.random.truncated_normal.
  double truncated_normal() {
    for (;;) {
      double z = normal();
      if (std::fabs(z) <= 2.0) return z;
    }
  }

 private:
  uint64_t state_;
  double spare_ = 0;
  bool has_spare_ = false;
};

}  // namespace cnn
