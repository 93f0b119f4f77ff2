// peak_fma_4x16__neon: 16 independent q-register FMA chains (acc = acc * one + zero). Cores with four
// 128-bit FMA pipes at a latency of 4 cycles (Neoverse V1/V2) need 16 in flight; two-pipe cores need
// fewer. 16 of the 32 q registers. 8 flops per FMA (4 lanes, multiply and add).
#include <arm_neon.h>

#include "kernels/peak_fma.h"

namespace cnn::kernels {

namespace {

constexpr int kChains = 16;
constexpr int kUnroll = 4;

void peak_fma_4x16__neon(long iterations, float one, float zero, float* sink) {
  const float32x4_t m = vdupq_n_f32(one), c = vdupq_n_f32(zero);
  float32x4_t acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = m;
  for (long it = 0; it < iterations; ++it) {
#pragma GCC unroll 4
    for (int u = 0; u < kUnroll; ++u) {
#pragma GCC unroll 16
      for (int i = 0; i < kChains; ++i) acc[i] = vfmaq_f32(c, acc[i], m);
    }
  }
  float32x4_t s = c;
  for (int i = 0; i < kChains; ++i) s = vaddq_f32(s, acc[i]);
  *sink = vaddvq_f32(s);
}

}  // namespace

PeakLoop peak_loop_neon() {
  return {Isa::neon, "peak_fma_4x16__neon", double(kUnroll) * kChains * 4 * 2, peak_fma_4x16__neon};
}

}  // namespace cnn::kernels
