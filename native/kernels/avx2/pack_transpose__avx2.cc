// pack_transpose__avx2: the transposing pack of the GEMM driver (gemm_packed.h) in 8x8 blocks.
// Contract: out[c*r_pad + r] = src[r*ld + c] for r < rows <= r_pad, c < cols; rows rows..r_pad-1 of
// every column are zero. Each block loads 8 rows x 8 columns (missing rows are zero vectors, a partial
// column block uses masked loads), transposes them in registers (unpack, shuffle, 128-bit permute: 24
// shuffles per 64 floats) and stores each column's r_pad - r0 (<= 8) entries.
#include <immintrin.h>

#include <algorithm>
#include <cstddef>

#include "kernels/gemm_packed.h"

namespace cnn::kernels {

namespace {

inline void transpose8(__m256 r[8]) {
  __m256 t[8], s[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    s[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
    s[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xee);
    s[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    s[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xee);
  }
  // s[4g + k] holds rows 4g..4g+3 of columns k (low half) and k+4 (high half).
  for (int k = 0; k < 4; ++k) {
    r[k] = _mm256_permute2f128_ps(s[k], s[k + 4], 0x20);
    r[k + 4] = _mm256_permute2f128_ps(s[k], s[k + 4], 0x31);
  }
}

// Lane j of the mask is on when j < n.
inline __m256i lanes_below(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// Stores lanes 0..k-1 of v. Plain 4/2/1-lane stores: a masked store (vmaskmovps) is microcoded and
// slow on AMD cores.
inline void store_lanes(float* dst, __m256 v, int k) {
  if (k == 8) {
    _mm256_storeu_ps(dst, v);
    return;
  }
  __m128 part = _mm256_castps256_ps128(v);
  if (k >= 4) {
    _mm_storeu_ps(dst, part);
    part = _mm256_extractf128_ps(v, 1);
    dst += 4;
    k -= 4;
  }
  if (k >= 2) {
    _mm_storel_pi(reinterpret_cast<__m64*>(dst), part);
    part = _mm_movehl_ps(part, part);
    dst += 2;
    k -= 2;
  }
  if (k == 1) _mm_store_ss(dst, part);
}

}  // namespace

void pack_transpose__avx2(const float* src, int ld, int rows, int cols, int r_pad, float* out) {
  for (int r0 = 0; r0 < r_pad; r0 += 8) {
    const int live = std::max(0, std::min(8, rows - r0));
    const int store_lanes_n = std::min(8, r_pad - r0);
    for (int c0 = 0; c0 < cols; c0 += 8) {
      const int width = std::min(8, cols - c0);
      const __m256i load_mask = lanes_below(width);
      __m256 r[8];
      for (int i = 0; i < 8; ++i) {
        const float* row = src + ptrdiff_t(r0 + i) * ld + c0;
        r[i] = i >= live ? _mm256_setzero_ps() : width == 8 ? _mm256_loadu_ps(row) : _mm256_maskload_ps(row, load_mask);
      }
      transpose8(r);
      for (int c = 0; c < width; ++c) store_lanes(out + ptrdiff_t(c0 + c) * r_pad + r0, r[c], store_lanes_n);
    }
  }
}

}  // namespace cnn::kernels
