// sgemm_ukernel_12x32__avx512: the AVX-512F register tile of the packed GEMM (gemm_packed.h), compiled
// with -mavx512f -mavx512bw -mavx512dq -mavx512vl.
// Contract: C tile[i][j] = alpha * sum_{p<kc} A(i,p) * b[p*ldb + j] + beta * C[i][j] (beta 0: C is not
// read), for i < m <= 12, j < n <= 32. A(i,p) is a[p*a_cs + i] (packed panel, or A^T read in place) or
// a[i*a_rs + p] (rows of A in place, m == 12). Edge columns use masked loads and stores, edge rows are
// skipped; the arithmetic of an element never depends on m or n, so edge tiles round like full ones.
// Registers: 24 accumulators (12 rows x 2 zmm) + 2 B vectors + 1 broadcast of A = 27 of 32 zmm.
#include <immintrin.h>

#include <cstddef>

#include "kernels/dispatch.h"

namespace cnn::kernels {

void pack_transpose__avx512(const float* src, int ld, int rows, int cols, int r_pad, float* out);

namespace {

constexpr int kMr = 12, kNr = 32;

#define CNN_FMA_ROW(i, ai)                         \
  do {                                             \
    const __m512 a_ = (ai);                        \
    c##i##0 = _mm512_fmadd_ps(a_, b0, c##i##0);    \
    c##i##1 = _mm512_fmadd_ps(a_, b1, c##i##1);    \
  } while (0)

void sgemm_ukernel_12x32__avx512(int kc, const float* a, int a_rs, int a_cs, const float* b, int ldb, float* c,
                                 int ldc, float alpha, float beta, int m, int n) {
  __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00,
         c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00, c80 = c00,
         c81 = c00, c90 = c00, c91 = c00, ca0 = c00, ca1 = c00, cb0 = c00, cb1 = c00;
  // The tile of C is only touched after the k loop: fetch its lines now so the stores do not stall.
  for (int i = 0; i < m; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + ptrdiff_t(i) * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + ptrdiff_t(i) * ldc + 16), _MM_HINT_T0);
  }
  const ptrdiff_t sb = ldb;
  if (a_rs == 1) {
    const ptrdiff_t sa = a_cs;
    for (int p = 0; p < kc; ++p, a += sa, b += sb) {
      const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
      CNN_FMA_ROW(0, _mm512_set1_ps(a[0]));
      CNN_FMA_ROW(1, _mm512_set1_ps(a[1]));
      CNN_FMA_ROW(2, _mm512_set1_ps(a[2]));
      CNN_FMA_ROW(3, _mm512_set1_ps(a[3]));
      CNN_FMA_ROW(4, _mm512_set1_ps(a[4]));
      CNN_FMA_ROW(5, _mm512_set1_ps(a[5]));
      CNN_FMA_ROW(6, _mm512_set1_ps(a[6]));
      CNN_FMA_ROW(7, _mm512_set1_ps(a[7]));
      CNN_FMA_ROW(8, _mm512_set1_ps(a[8]));
      CNN_FMA_ROW(9, _mm512_set1_ps(a[9]));
      CNN_FMA_ROW(a, _mm512_set1_ps(a[10]));
      CNN_FMA_ROW(b, _mm512_set1_ps(a[11]));
    }
  } else {
    // Rows in place: three row groups, each addressed as base + {0,1,2,3} * row stride.
    const ptrdiff_t s = a_rs, s3 = 3 * ptrdiff_t(a_rs);
    const float *q0 = a, *q4 = a + 4 * s, *q8 = a + 8 * s;
    for (int p = 0; p < kc; ++p, ++q0, ++q4, ++q8, b += sb) {
      const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
      CNN_FMA_ROW(0, _mm512_set1_ps(q0[0]));
      CNN_FMA_ROW(1, _mm512_set1_ps(q0[s]));
      CNN_FMA_ROW(2, _mm512_set1_ps(q0[2 * s]));
      CNN_FMA_ROW(3, _mm512_set1_ps(q0[s3]));
      CNN_FMA_ROW(4, _mm512_set1_ps(q4[0]));
      CNN_FMA_ROW(5, _mm512_set1_ps(q4[s]));
      CNN_FMA_ROW(6, _mm512_set1_ps(q4[2 * s]));
      CNN_FMA_ROW(7, _mm512_set1_ps(q4[s3]));
      CNN_FMA_ROW(8, _mm512_set1_ps(q8[0]));
      CNN_FMA_ROW(9, _mm512_set1_ps(q8[s]));
      CNN_FMA_ROW(a, _mm512_set1_ps(q8[2 * s]));
      CNN_FMA_ROW(b, _mm512_set1_ps(q8[s3]));
    }
  }
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
  const __mmask16 k0 = n >= 16 ? __mmask16(0xffff) : __mmask16((1u << n) - 1);
  const __mmask16 k1 = n >= 32 ? __mmask16(0xffff) : n > 16 ? __mmask16((1u << (n - 16)) - 1) : __mmask16(0);
  const bool use_beta = beta != 0.0f;
  auto store_row = [&](float* row, __m512 r0, __m512 r1) {
    r0 = _mm512_mul_ps(va, r0);
    r1 = _mm512_mul_ps(va, r1);
    if (use_beta) {
      r0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(k0, row), r0);
      r1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(k1, row + 16), r1);
    }
    _mm512_mask_storeu_ps(row, k0, r0);
    _mm512_mask_storeu_ps(row + 16, k1, r1);
  };
  const ptrdiff_t sc = ldc;
  store_row(c, c00, c01);
  if (m > 1) store_row(c + 1 * sc, c10, c11);
  if (m > 2) store_row(c + 2 * sc, c20, c21);
  if (m > 3) store_row(c + 3 * sc, c30, c31);
  if (m > 4) store_row(c + 4 * sc, c40, c41);
  if (m > 5) store_row(c + 5 * sc, c50, c51);
  if (m > 6) store_row(c + 6 * sc, c60, c61);
  if (m > 7) store_row(c + 7 * sc, c70, c71);
  if (m > 8) store_row(c + 8 * sc, c80, c81);
  if (m > 9) store_row(c + 9 * sc, c90, c91);
  if (m > 10) store_row(c + 10 * sc, ca0, ca1);
  if (m > 11) store_row(c + 11 * sc, cb0, cb1);
}

#undef CNN_FMA_ROW

}  // namespace

void fill_table_avx512(KernelTable& t) {
  t.isa = Isa::avx512;
  t.gemm_ukernel = {kMr, kNr, 384, 1024, sgemm_ukernel_12x32__avx512, "sgemm_ukernel_12x32__avx512",
                   pack_transpose__avx512};
}

}  // namespace cnn::kernels
