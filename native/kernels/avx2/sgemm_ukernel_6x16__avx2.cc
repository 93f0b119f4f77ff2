// sgemm_ukernel_6x16__avx2: the AVX2+FMA register tile of the packed GEMM (gemm_packed.h), compiled
// with -mavx2 -mfma.
// Contract: C tile[i][j] = alpha * sum_{p<kc} A(i,p) * b[p*ldb + j] + beta * C[i][j] (beta 0: C is not
// read), for i < m <= 6, j < n <= 16. A(i,p) is a[p*a_cs + i] (packed panel, or A^T read in place) or
// a[i*a_rs + p] (rows of A in place, m == 6). Edge columns use maskload/maskstore, edge rows are
// skipped; an element's arithmetic never depends on m or n.
// Registers: 12 accumulators (6 rows x 2 ymm) + 2 B vectors + 1 broadcast of A = 15 of 16 ymm.
#include <immintrin.h>

#include <cstddef>

#include "kernels/dispatch.h"

namespace cnn::kernels {

void pack_transpose__avx2(const float* src, int ld, int rows, int cols, int r_pad, float* out);

namespace {

constexpr int kMr = 6, kNr = 16;

#define CNN_FMA_ROW(i, ai)                         \
  do {                                             \
    const __m256 a_ = (ai);                        \
    c##i##0 = _mm256_fmadd_ps(a_, b0, c##i##0);    \
    c##i##1 = _mm256_fmadd_ps(a_, b1, c##i##1);    \
  } while (0)

// Lane j of the mask is on when j + offset < n.
inline __m256i column_mask(int n, int offset) {
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n - offset), lanes);
}

void sgemm_ukernel_6x16__avx2(int kc, const float* a, int a_rs, int a_cs, const float* b, int ldb, float* c, int ldc,
                              float alpha, float beta, int m, int n) {
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00,
         c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  const ptrdiff_t sb = ldb;
  if (a_rs == 1) {
    const ptrdiff_t sa = a_cs;
    for (int p = 0; p < kc; ++p, a += sa, b += sb) {
      const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
      CNN_FMA_ROW(0, _mm256_broadcast_ss(a + 0));
      CNN_FMA_ROW(1, _mm256_broadcast_ss(a + 1));
      CNN_FMA_ROW(2, _mm256_broadcast_ss(a + 2));
      CNN_FMA_ROW(3, _mm256_broadcast_ss(a + 3));
      CNN_FMA_ROW(4, _mm256_broadcast_ss(a + 4));
      CNN_FMA_ROW(5, _mm256_broadcast_ss(a + 5));
    }
  } else {
    const ptrdiff_t s = a_rs;
    const float *q0 = a, *q3 = a + 3 * s;
    for (int p = 0; p < kc; ++p, ++q0, ++q3, b += sb) {
      const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
      CNN_FMA_ROW(0, _mm256_broadcast_ss(q0));
      CNN_FMA_ROW(1, _mm256_broadcast_ss(q0 + s));
      CNN_FMA_ROW(2, _mm256_broadcast_ss(q0 + 2 * s));
      CNN_FMA_ROW(3, _mm256_broadcast_ss(q3));
      CNN_FMA_ROW(4, _mm256_broadcast_ss(q3 + s));
      CNN_FMA_ROW(5, _mm256_broadcast_ss(q3 + 2 * s));
    }
  }
  const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
  const bool use_beta = beta != 0.0f;
  const ptrdiff_t sc = ldc;
  if (n == kNr) {
    auto store_row = [&](float* row, __m256 r0, __m256 r1) {
      r0 = _mm256_mul_ps(va, r0);
      r1 = _mm256_mul_ps(va, r1);
      if (use_beta) {
        r0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(row), r0);
        r1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(row + 8), r1);
      }
      _mm256_storeu_ps(row, r0);
      _mm256_storeu_ps(row + 8, r1);
    };
    store_row(c, c00, c01);
    if (m > 1) store_row(c + 1 * sc, c10, c11);
    if (m > 2) store_row(c + 2 * sc, c20, c21);
    if (m > 3) store_row(c + 3 * sc, c30, c31);
    if (m > 4) store_row(c + 4 * sc, c40, c41);
    if (m > 5) store_row(c + 5 * sc, c50, c51);
    return;
  }
  const __m256i k0 = column_mask(n, 0), k1 = column_mask(n, 8);
  auto store_row = [&](float* row, __m256 r0, __m256 r1) {
    r0 = _mm256_mul_ps(va, r0);
    r1 = _mm256_mul_ps(va, r1);
    if (use_beta) {
      r0 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(row, k0), r0);
      r1 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(row + 8, k1), r1);
    }
    _mm256_maskstore_ps(row, k0, r0);
    _mm256_maskstore_ps(row + 8, k1, r1);
  };
  store_row(c, c00, c01);
  if (m > 1) store_row(c + 1 * sc, c10, c11);
  if (m > 2) store_row(c + 2 * sc, c20, c21);
  if (m > 3) store_row(c + 3 * sc, c30, c31);
  if (m > 4) store_row(c + 4 * sc, c40, c41);
  if (m > 5) store_row(c + 5 * sc, c50, c51);
}

#undef CNN_FMA_ROW

}  // namespace

void fill_table_avx2(KernelTable& t) {
  t.isa = Isa::avx2;
  t.gemm_ukernel = {kMr, kNr, 256, 512, sgemm_ukernel_6x16__avx2, "sgemm_ukernel_6x16__avx2",
                   pack_transpose__avx2};
}

}  // namespace cnn::kernels
