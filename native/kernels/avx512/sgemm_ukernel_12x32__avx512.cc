// sgemm_ukernel_12x32__avx512: the AVX-512F register tile of the packed GEMM (compiled with -mavx512f
// -mavx512bw -mavx512dq -mavx512vl). Contract (gemm_packed.h): acc[12][32] = sum_p a[p*12+i]*b[p*32+j];
// C[i][j] = alpha*acc + beta*C for i < m <= 12, j < n <= 32; edge columns use masked loads/stores.
// Registers: 24 accumulators (12 rows x 2 zmm) + 2 B vectors + 1 broadcast A = 27 of 32 zmm.
#include <immintrin.h>

#include "kernels/dispatch.h"

namespace cnn::kernels {

namespace {

constexpr int kMr = 12, kNr = 32;

void sgemm_ukernel_12x32__avx512(int kc, const float* a, const float* b, float* c, int ldc, float alpha,
                                 float beta, int m, int n) {
  __m512 acc[kMr][2];
  for (int i = 0; i < kMr; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (int p = 0; p < kc; ++p, a += kMr, b += kNr) {
    const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 12
    for (int i = 0; i < kMr; ++i) {
      const __m512 ai = _mm512_set1_ps(a[i]);
      acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
    }
  }
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
  const __mmask16 k0 = n >= 16 ? __mmask16(0xffff) : __mmask16((1u << n) - 1);
  const __mmask16 k1 = n >= 32 ? __mmask16(0xffff) : n > 16 ? __mmask16((1u << (n - 16)) - 1) : __mmask16(0);
  for (int i = 0; i < m; ++i) {
    float* row = c + i * ldc;
    __m512 r0 = _mm512_mul_ps(va, acc[i][0]), r1 = _mm512_mul_ps(va, acc[i][1]);
    if (beta != 0.0f) {
      r0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(k0, row), r0);
      r1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(k1, row + 16), r1);
    }
    _mm512_mask_storeu_ps(row, k0, r0);
    if (k1) _mm512_mask_storeu_ps(row + 16, k1, r1);
  }
}

}  // namespace

void fill_table_avx512(KernelTable& t) {
  t.isa = Isa::avx512;
  t.gemm_ukernel = {kMr, kNr, 384, 96, 4096, sgemm_ukernel_12x32__avx512, "sgemm_ukernel_12x32__avx512"};
}

}  // namespace cnn::kernels
