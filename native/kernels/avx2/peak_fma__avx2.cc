// peak_fma_8x12__avx2: 12 independent ymm FMA chains (acc = acc * one + zero). Two FMA ports at a
// latency of 4 to 5 cycles need 8 to 10 chains in flight; 12 of the 16 ymm registers leave room for the
// two operands. 16 flops per FMA (8 lanes, multiply and add).
#include <immintrin.h>

#include "kernels/peak_fma.h"

namespace cnn::kernels {

namespace {

constexpr int kChains = 12;
constexpr int kUnroll = 4;

void peak_fma_8x12__avx2(long iterations, float one, float zero, float* sink) {
  const __m256 m = _mm256_set1_ps(one), c = _mm256_set1_ps(zero);
  __m256 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = m;
  for (long it = 0; it < iterations; ++it) {
#pragma GCC unroll 4
    for (int u = 0; u < kUnroll; ++u) {
#pragma GCC unroll 12
      for (int i = 0; i < kChains; ++i) acc[i] = _mm256_fmadd_ps(acc[i], m, c);
    }
  }
  __m256 s = c;
  for (int i = 0; i < kChains; ++i) s = _mm256_add_ps(s, acc[i]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, s);
  float total = 0;
  for (float v : lanes) total += v;
  *sink = total;
}

}  // namespace

PeakLoop peak_loop_avx2() {
  return {Isa::avx2, "peak_fma_8x12__avx2", double(kUnroll) * kChains * 8 * 2, peak_fma_8x12__avx2};
}

}  // namespace cnn::kernels
