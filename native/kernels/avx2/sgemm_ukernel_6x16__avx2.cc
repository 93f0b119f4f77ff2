// sgemm_ukernel_6x16__avx2: the AVX2+FMA register tile of the packed GEMM (compiled with -mavx2 -mfma).
// Contract (gemm_packed.h): acc[6][16] = sum_p a[p*6+i] * b[p*16+j]; C[i][j] = alpha*acc + beta*C for
// i < m <= 6, j < n <= 16. a and b are packed, zero-padded panels.
// Registers: 12 accumulators (6 rows x 2 ymm) + 2 B vectors + 1 broadcast A = 15 of 16 ymm.
#include <immintrin.h>

#include "kernels/dispatch.h"

namespace cnn::kernels {

namespace {

constexpr int kMr = 6, kNr = 16;

void sgemm_ukernel_6x16__avx2(int kc, const float* a, const float* b, float* c, int ldc, float alpha, float beta,
                              int m, int n) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps(),
         c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(), c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps(),
         c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (int p = 0; p < kc; ++p, a += kMr, b += kNr) {
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
    __m256 ai = _mm256_broadcast_ss(a + 0);
    c00 = _mm256_fmadd_ps(ai, b0, c00);
    c01 = _mm256_fmadd_ps(ai, b1, c01);
    ai = _mm256_broadcast_ss(a + 1);
    c10 = _mm256_fmadd_ps(ai, b0, c10);
    c11 = _mm256_fmadd_ps(ai, b1, c11);
    ai = _mm256_broadcast_ss(a + 2);
    c20 = _mm256_fmadd_ps(ai, b0, c20);
    c21 = _mm256_fmadd_ps(ai, b1, c21);
    ai = _mm256_broadcast_ss(a + 3);
    c30 = _mm256_fmadd_ps(ai, b0, c30);
    c31 = _mm256_fmadd_ps(ai, b1, c31);
    ai = _mm256_broadcast_ss(a + 4);
    c40 = _mm256_fmadd_ps(ai, b0, c40);
    c41 = _mm256_fmadd_ps(ai, b1, c41);
    ai = _mm256_broadcast_ss(a + 5);
    c50 = _mm256_fmadd_ps(ai, b0, c50);
    c51 = _mm256_fmadd_ps(ai, b1, c51);
  }
  const __m256 acc[kMr][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
  if (m == kMr && n == kNr) {
    for (int i = 0; i < kMr; ++i) {
      float* row = c + i * ldc;
      for (int h = 0; h < 2; ++h) {
        __m256 r = _mm256_mul_ps(va, acc[i][h]);
        if (beta != 0.0f) r = _mm256_fmadd_ps(vb, _mm256_loadu_ps(row + 8 * h), r);
        _mm256_storeu_ps(row + 8 * h, r);
      }
    }
    return;
  }
  alignas(32) float tile[kMr][kNr];
  for (int i = 0; i < kMr; ++i) {
    _mm256_store_ps(tile[i], acc[i][0]);
    _mm256_store_ps(tile[i] + 8, acc[i][1]);
  }
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      float& out = c[i * ldc + j];
      out = alpha * tile[i][j] + (beta == 0.0f ? 0.0f : beta * out);
    }
}

}  // namespace

void fill_table_avx2(KernelTable& t) {
  t.isa = Isa::avx2;
  t.gemm_ukernel = {kMr, kNr, 256, 72, 4080, sgemm_ukernel_6x16__avx2, "sgemm_ukernel_6x16__avx2"};
}

}  // namespace cnn::kernels
