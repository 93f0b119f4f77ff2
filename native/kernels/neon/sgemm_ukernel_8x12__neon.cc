// sgemm_ukernel_8x12__neon: the AArch64 Advanced SIMD register tile of the packed GEMM (gemm_packed.h).
// Contract: C tile[i][j] = alpha * sum_{p<kc} A(i,p) * b[p*ldb + j] + beta * C[i][j] (beta 0: C is not
// read), for i < m <= 8, j < n <= 12. A(i,p) is a[p*a_cs + i] (packed panel, or A^T read in place) or
// a[i*a_rs + p] (rows of A in place, m == 8). Full tiles store straight from registers; edge tiles go
// through a small stack tile, and an element's arithmetic never depends on m or n.
// Registers: 24 accumulators (8 rows x 3 q) + 3 B vectors + 2 A vectors (lanes broadcast by
// fmla-by-element) = 29 of 32 q registers.
#include <arm_neon.h>

#include <cstddef>

#include "kernels/dispatch.h"

namespace cnn::kernels {

namespace {

constexpr int kMr = 8, kNr = 12;

#define CNN_FMA_LANE(i, av, lane)                          \
  do {                                                     \
    c##i##0 = vfmaq_laneq_f32(c##i##0, b0, av, lane);      \
    c##i##1 = vfmaq_laneq_f32(c##i##1, b1, av, lane);      \
    c##i##2 = vfmaq_laneq_f32(c##i##2, b2, av, lane);      \
  } while (0)

#define CNN_FMA_DUP(i, value)                              \
  do {                                                     \
    const float32x4_t a_ = vdupq_n_f32(value);             \
    c##i##0 = vfmaq_f32(c##i##0, b0, a_);                  \
    c##i##1 = vfmaq_f32(c##i##1, b1, a_);                  \
    c##i##2 = vfmaq_f32(c##i##2, b2, a_);                  \
  } while (0)

void sgemm_ukernel_8x12__neon(int kc, const float* a, int a_rs, int a_cs, const float* b, int ldb, float* c, int ldc,
                              float alpha, float beta, int m, int n) {
  float32x4_t c00 = vdupq_n_f32(0.0f), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00, c20 = c00, c21 = c00,
              c22 = c00, c30 = c00, c31 = c00, c32 = c00, c40 = c00, c41 = c00, c42 = c00, c50 = c00, c51 = c00,
              c52 = c00, c60 = c00, c61 = c00, c62 = c00, c70 = c00, c71 = c00, c72 = c00;
  const ptrdiff_t sb = ldb;
  if (a_rs == 1) {
    const ptrdiff_t sa = a_cs;
    for (int p = 0; p < kc; ++p, a += sa, b += sb) {
      const float32x4_t b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4), b2 = vld1q_f32(b + 8);
      const float32x4_t a0 = vld1q_f32(a), a1 = vld1q_f32(a + 4);
      CNN_FMA_LANE(0, a0, 0);
      CNN_FMA_LANE(1, a0, 1);
      CNN_FMA_LANE(2, a0, 2);
      CNN_FMA_LANE(3, a0, 3);
      CNN_FMA_LANE(4, a1, 0);
      CNN_FMA_LANE(5, a1, 1);
      CNN_FMA_LANE(6, a1, 2);
      CNN_FMA_LANE(7, a1, 3);
    }
  } else {
    const ptrdiff_t s = a_rs;
    for (int p = 0; p < kc; ++p, ++a, b += sb) {
      const float32x4_t b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4), b2 = vld1q_f32(b + 8);
      CNN_FMA_DUP(0, a[0]);
      CNN_FMA_DUP(1, a[s]);
      CNN_FMA_DUP(2, a[2 * s]);
      CNN_FMA_DUP(3, a[3 * s]);
      CNN_FMA_DUP(4, a[4 * s]);
      CNN_FMA_DUP(5, a[5 * s]);
      CNN_FMA_DUP(6, a[6 * s]);
      CNN_FMA_DUP(7, a[7 * s]);
    }
  }
  const float32x4_t acc[kMr][3] = {{c00, c01, c02}, {c10, c11, c12}, {c20, c21, c22}, {c30, c31, c32},
                                   {c40, c41, c42}, {c50, c51, c52}, {c60, c61, c62}, {c70, c71, c72}};
  const bool use_beta = beta != 0.0f;
  const bool full = m == kMr && n == kNr;
  // Edge tiles run the same vector arithmetic on a stack copy of their part of C.
  float tile[kMr][kNr] = {};
  if (!full && use_beta)
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < n; ++j) tile[i][j] = c[ptrdiff_t(i) * ldc + j];
  for (int i = 0; i < kMr; ++i) {
    float* row = full ? c + ptrdiff_t(i) * ldc : tile[i];
    for (int h = 0; h < 3; ++h) {
      float32x4_t r = vmulq_n_f32(acc[i][h], alpha);
      if (use_beta) r = vfmaq_n_f32(r, vld1q_f32(row + 4 * h), beta);
      vst1q_f32(row + 4 * h, r);
    }
  }
  if (!full)
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < n; ++j) c[ptrdiff_t(i) * ldc + j] = tile[i][j];
}

#undef CNN_FMA_LANE
#undef CNN_FMA_DUP

}  // namespace

void fill_table_neon(KernelTable& t) {
  t.isa = Isa::neon;
  t.gemm_ukernel = {kMr, kNr, 256, 1024, sgemm_ukernel_8x12__neon, "sgemm_ukernel_8x12__neon", pack_transpose_ref};
}

}  // namespace cnn::kernels
