#include "kernels/gemm_packed.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/thread_pool.h"

namespace cnn::kernels {

namespace {

// Scratch reused across calls (no allocation per batch in steady state); one per thread.
std::vector<float>& scratch_a() {
  thread_local std::vector<float> buf;
  return buf;
}
std::vector<float>& scratch_b() {
  thread_local std::vector<float> buf;
  return buf;
}

inline float a_at(const float* A, int lda, bool trans, int i, int p) { return trans ? A[size_t(p) * lda + i] : A[size_t(i) * lda + p]; }

// Packs op(A)[i0:i0+mc, p0:p0+kc] into ceil(mc/MR) panels of kc*MR floats (zero-padded rows).
void pack_a(const float* A, int lda, bool trans, int i0, int mc, int p0, int kc, int mr, float* out) {
  for (int ip = 0; ip < mc; ip += mr) {
    const int m = std::min(mr, mc - ip);
    float* panel = out + size_t(ip) * kc;
    if (!trans) {
      for (int i = 0; i < m; ++i) {
        const float* row = A + size_t(i0 + ip + i) * lda + p0;
        for (int p = 0; p < kc; ++p) panel[size_t(p) * mr + i] = row[p];
      }
    } else {
      for (int p = 0; p < kc; ++p) {
        const float* row = A + size_t(p0 + p) * lda + i0 + ip;
        float* dst = panel + size_t(p) * mr;
        for (int i = 0; i < m; ++i) dst[i] = row[i];
      }
    }
    if (m < mr)
      for (int p = 0; p < kc; ++p)
        for (int i = m; i < mr; ++i) panel[size_t(p) * mr + i] = 0.0f;
  }
}

// Packs op(B)[p0:p0+kc, j0:j0+nc] into ceil(nc/NR) panels of kc*NR floats (zero-padded columns).
void pack_b(const float* B, int ldb, bool trans, int p0, int kc, int j0, int nc, int nr, float* out) {
  for (int jp = 0; jp < nc; jp += nr) {
    const int n = std::min(nr, nc - jp);
    float* panel = out + size_t(jp) * kc;
    if (!trans) {
      for (int p = 0; p < kc; ++p) {
        const float* row = B + size_t(p0 + p) * ldb + j0 + jp;
        float* dst = panel + size_t(p) * nr;
        std::memcpy(dst, row, sizeof(float) * n);
        for (int j = n; j < nr; ++j) dst[j] = 0.0f;
      }
    } else {
      for (int j = 0; j < n; ++j) {
        const float* col = B + size_t(j0 + jp + j) * ldb + p0;
        for (int p = 0; p < kc; ++p) panel[size_t(p) * nr + j] = col[p];
      }
      for (int p = 0; p < kc; ++p)
        for (int j = n; j < nr; ++j) panel[size_t(p) * nr + j] = 0.0f;
    }
  }
}

void scale_c(int M, int N, float beta, float* C, int ldc) {
  for (int i = 0; i < M; ++i) {
    float* row = C + size_t(i) * ldc;
    if (beta == 0.0f)
      std::fill(row, row + N, 0.0f);
    else
      for (int j = 0; j < N; ++j) row[j] *= beta;
  }
}

}  // namespace

void sgemm_packed(const GemmMicroKernel& uk, bool trans_a, bool trans_b, int M, int N, int K, float alpha,
                  const float* A, int lda, const float* B, int ldb, float beta, float* C, int ldc, ThreadPool* pool) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0.0f) {
    scale_c(M, N, beta, C, ldc);
    return;
  }
  const int mr = uk.mr, nr = uk.nr;
  const int threads = pool ? pool->size() : 1;
  // Enough M blocks for every thread when M is small; MC stays a multiple of MR.
  int mc = uk.mc;
  if (threads > 1) {
    int per_thread = (M + threads - 1) / threads;
    per_thread = (per_thread + mr - 1) / mr * mr;
    mc = std::max(mr, std::min(mc, per_thread));
  }
  const int kc_max = uk.kc, nc_max = uk.nc;
  std::vector<float>& bbuf = scratch_b();
  const size_t b_need = size_t(kc_max) * ((std::min(nc_max, N) + nr - 1) / nr * nr);
  if (bbuf.size() < b_need) bbuf.resize(b_need);
  float* bpack = bbuf.data();

  for (int j0 = 0; j0 < N; j0 += nc_max) {
    const int nc = std::min(nc_max, N - j0);
    for (int p0 = 0; p0 < K; p0 += kc_max) {
      const int kc = std::min(kc_max, K - p0);
      const float beta_block = p0 == 0 ? beta : 1.0f;
      pack_b(B, ldb, trans_b, p0, kc, j0, nc, nr, bpack);
      const int m_blocks = (M + mc - 1) / mc;
      auto task = [&](int blk) {
        const int i0 = blk * mc;
        const int mcur = std::min(mc, M - i0);
        std::vector<float>& abuf = scratch_a();
        const size_t a_need = size_t(kc) * ((mcur + mr - 1) / mr * mr);
        if (abuf.size() < a_need) abuf.resize(a_need);
        float* apack = abuf.data();
        pack_a(A, lda, trans_a, i0, mcur, p0, kc, mr, apack);
        for (int jp = 0; jp < nc; jp += nr) {
          const int n = std::min(nr, nc - jp);
          const float* bp = bpack + size_t(jp) * kc;
          for (int ip = 0; ip < mcur; ip += mr) {
            const int m = std::min(mr, mcur - ip);
            float* c = C + size_t(i0 + ip) * ldc + j0 + jp;
            uk.fn(kc, apack + size_t(ip) * kc, bp, c, ldc, alpha, beta_block, m, n);
          }
        }
      };
      if (pool && m_blocks > 1)
        pool->run(m_blocks, task);
      else
        for (int b = 0; b < m_blocks; ++b) task(b);
    }
  }
}

}  // namespace cnn::kernels
