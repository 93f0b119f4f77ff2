// peak_fma_16x12__avx512: 12 independent zmm FMA chains (acc = acc * one + zero). Two 512-bit FMA
// ports (or, on AMD Zen 4, 256-bit ones taking two passes) at a latency of 4 cycles need 8 chains in
// flight; 12 leave margin for a longer latency. 32 flops per FMA (16 lanes, multiply and add).
#include <immintrin.h>

#include "kernels/peak_fma.h"

namespace cnn::kernels {

namespace {

constexpr int kChains = 12;
constexpr int kUnroll = 4;

void peak_fma_16x12__avx512(long iterations, float one, float zero, float* sink) {
  const __m512 m = _mm512_set1_ps(one), c = _mm512_set1_ps(zero);
  __m512 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = m;
  for (long it = 0; it < iterations; ++it) {
#pragma GCC unroll 4
    for (int u = 0; u < kUnroll; ++u) {
#pragma GCC unroll 12
      for (int i = 0; i < kChains; ++i) acc[i] = _mm512_fmadd_ps(acc[i], m, c);
    }
  }
  __m512 s = c;
  for (int i = 0; i < kChains; ++i) s = _mm512_add_ps(s, acc[i]);
  alignas(64) float lanes[16];  // not _mm512_reduce_add_ps, which trips GCC 12's -Wuninitialized
  _mm512_store_ps(lanes, s);
  float total = 0;
  for (float v : lanes) total += v;
  *sink = total;
}

}  // namespace

PeakLoop peak_loop_avx512() {
  return {Isa::avx512, "peak_fma_16x12__avx512", double(kUnroll) * kChains * 16 * 2, peak_fma_16x12__avx512};
}

}  // namespace cnn::kernels
