// pack_transpose__avx512: the transposing pack of the GEMM driver (gemm_packed.h) in 16x16 blocks.
// Contract: out[c*r_pad + r] = src[r*ld + c] for r < rows <= r_pad, c < cols; rows rows..r_pad-1 of
// every column are zero. Each block loads 16 rows x 16 columns (missing rows are zero vectors, a
// partial column block uses masked loads), transposes them in registers (unpack ps, unpack pd, two
// 128-bit lane shuffles: 64 shuffles per 256 floats) and stores each column's r_pad - r0 (<= 16)
// entries with a masked store, so the zero padding comes for free.
// GCC 12's AVX-512 shuffle intrinsics pass an undefined vector as the unused merge source, which
// -Wmaybe-uninitialized reports as a false positive.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>
#include <cstddef>

#include "kernels/gemm_packed.h"

namespace cnn::kernels {

namespace {

inline void transpose16(__m512 r[16]) {
  __m512 t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    r[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
    r[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
    r[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
    r[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
  }
  // r[4g + k] now holds rows 4g..4g+3 of columns k, k+4, k+8, k+12 (one per 128-bit lane).
  for (int k = 0; k < 4; ++k) {
    t[k] = _mm512_shuffle_f32x4(r[k], r[k + 4], 0x88);        // cols k, k+8   of rows 0-3 | 4-7
    t[k + 4] = _mm512_shuffle_f32x4(r[k], r[k + 4], 0xdd);    // cols k+4, k+12 of rows 0-3 | 4-7
    t[k + 8] = _mm512_shuffle_f32x4(r[k + 8], r[k + 12], 0x88);
    t[k + 12] = _mm512_shuffle_f32x4(r[k + 8], r[k + 12], 0xdd);
  }
  for (int k = 0; k < 8; ++k) {
    r[k] = _mm512_shuffle_f32x4(t[k], t[k + 8], 0x88);      // column k
    r[k + 8] = _mm512_shuffle_f32x4(t[k], t[k + 8], 0xdd);  // column k+8
  }
}

}  // namespace

void pack_transpose__avx512(const float* src, int ld, int rows, int cols, int r_pad, float* out) {
  for (int r0 = 0; r0 < r_pad; r0 += 16) {
    const int live = std::max(0, std::min(16, rows - r0));
    const __mmask16 store_mask = __mmask16((1u << std::min(16, r_pad - r0)) - 1);
    for (int c0 = 0; c0 < cols; c0 += 16) {
      const int width = std::min(16, cols - c0);
      const __mmask16 load_mask = __mmask16((1u << width) - 1);
      __m512 r[16];
      for (int i = 0; i < 16; ++i)
        r[i] = i < live ? _mm512_maskz_loadu_ps(load_mask, src + ptrdiff_t(r0 + i) * ld + c0) : _mm512_setzero_ps();
      transpose16(r);
      for (int c = 0; c < width; ++c) _mm512_mask_storeu_ps(out + ptrdiff_t(c0 + c) * r_pad + r0, store_mask, r[c]);
    }
  }
}

}  // namespace cnn::kernels
