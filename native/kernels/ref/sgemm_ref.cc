// The reference GEMM (a plain triple loop with double accumulation: what every fast path is tested
// against) and the portable micro-kernel used when no SIMD ISA is available.
#include <algorithm>

#include "kernels/dispatch.h"

namespace cnn::kernels {

void sgemm_ref(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
               int ldb, float beta, float* C, int ldc) {
  for (int i = 0; i < M; ++i) {
    for (int j = 0; j < N; ++j) {
      double s = 0;
      for (int p = 0; p < K; ++p) {
        const double a = trans_a ? A[size_t(p) * lda + i] : A[size_t(i) * lda + p];
        const double b = trans_b ? B[size_t(j) * ldb + p] : B[size_t(p) * ldb + j];
        s += a * b;
      }
      float& c = C[size_t(i) * ldc + j];
      c = float(double(alpha) * s + (beta == 0.0f ? 0.0 : double(beta) * c));
    }
  }
}

namespace {

// sgemm_ukernel_4x8__scalar: a 4x8 tile in plain C++ (the compiler may vectorize it for the baseline
// ISA). Contract: gemm_packed.h; A(i,p) = a[i*a_rs + p*a_cs] covers packed panels and rows in place.
constexpr int kMr = 4, kNr = 8;

void sgemm_ukernel_4x8__scalar(int kc, const float* a, int a_rs, int a_cs, const float* b, int ldb, float* c, int ldc,
                               float alpha, float beta, int m, int n) {
  float acc[kMr][kNr] = {};
  for (int p = 0; p < kc; ++p) {
    const float* bp = b + size_t(p) * ldb;
    for (int i = 0; i < kMr; ++i) {
      const float ai = i < m || a_rs == 1 ? a[size_t(i) * a_rs + size_t(p) * a_cs] : 0.0f;
      for (int j = 0; j < kNr; ++j) acc[i][j] += ai * bp[j];
    }
  }
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      float& out = c[size_t(i) * ldc + j];
      out = alpha * acc[i][j] + (beta == 0.0f ? 0.0f : beta * out);
    }
}

}  // namespace

void fill_table_ref(KernelTable& t) {
  t.isa = Isa::scalar;
  t.gemm_ukernel = {kMr, kNr, 256, 512, sgemm_ukernel_4x8__scalar, "sgemm_ukernel_4x8__scalar",
                   pack_transpose_ref};
}

}  // namespace cnn::kernels
