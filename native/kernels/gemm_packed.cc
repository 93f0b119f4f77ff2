#include "kernels/gemm_packed.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "core/thread_pool.h"

namespace cnn::kernels {

namespace {

struct Problem {
  bool trans_a, trans_b;
  int M, N, K;
  float alpha;
  const float* A;
  int lda;
  const float* B;
  int ldb;
  float beta;
  float* C;
  int ldc;
  bool a_in_place, b_in_place;  // full MR/NR tiles read A / B rows without packing
};

// A 64-byte aligned scratch buffer per thread, grown on demand and kept (no allocation per call in
// steady state).
class Scratch {
 public:
  ~Scratch() { std::free(data_); }
  float* get(size_t floats) {
    if (floats > size_) {
      std::free(data_);
      size_ = (floats + 15) / 16 * 16;
      data_ = static_cast<float*>(std::aligned_alloc(64, size_ * sizeof(float)));
      if (!data_) {
        size_ = 0;
        throw std::bad_alloc();
      }
    }
    return data_;
  }

 private:
  float* data_ = nullptr;
  size_t size_ = 0;
};

thread_local Scratch t_apack, t_bpack;

// Packs op(A)[i0:i0+m, p0:p0+kc] into one panel: out[p*mr + i], rows m..mr-1 zero.
void pack_a_panel(const Problem& P, PackTransposeFn pack, int i0, int m, int p0, int kc, int mr, float* out) {
  if (!P.trans_a) {
    pack(P.A + size_t(i0) * P.lda + p0, P.lda, m, kc, mr, out);  // op(A) rows are rows of A
    return;
  }
  // op(A) rows are columns of A: each k step is m contiguous floats.
  for (int p = 0; p < kc; ++p) {
    float* dst = out + size_t(p) * mr;
    std::memcpy(dst, P.A + size_t(p0 + p) * P.lda + i0, sizeof(float) * m);
    std::fill(dst + m, dst + mr, 0.0f);
  }
}

// Packs op(B)[p0:p0+kc, j0:j0+n] (n <= nr) into one panel: out[p*nr + j], columns n..nr-1 zero.
void pack_b_panel(const Problem& P, PackTransposeFn pack, int p0, int kc, int j0, int n, int nr, float* out) {
  if (!P.trans_b) {
    for (int p = 0; p < kc; ++p) {
      float* dst = out + size_t(p) * nr;
      std::memcpy(dst, P.B + size_t(p0 + p) * P.ldb + j0, sizeof(float) * n);
      std::fill(dst + n, dst + nr, 0.0f);
    }
  } else {
    pack(P.B + size_t(j0) * P.ldb + p0, P.ldb, n, kc, nr, out);  // op(B) columns are rows of B
  }
}

}  // namespace

void pack_transpose_ref(const float* src, int ld, int rows, int cols, int r_pad, float* out) {
  // 8-column blocks: each row's cache line is read once per block and the writes stay close.
  int c = 0;
  for (; c + 8 <= cols; c += 8) {
    float* dst = out + size_t(c) * r_pad;
    for (int r = 0; r < rows; ++r) {
      const float* row = src + size_t(r) * ld + c;
      for (int q = 0; q < 8; ++q) dst[q * r_pad + r] = row[q];
    }
  }
  for (; c < cols; ++c)
    for (int r = 0; r < rows; ++r) out[size_t(c) * r_pad + r] = src[size_t(r) * ld + c];
  if (rows < r_pad)
    for (int q = 0; q < cols; ++q) std::fill(out + size_t(q) * r_pad + rows, out + size_t(q) * r_pad + r_pad, 0.0f);
}

namespace {

// Splits `total` into the fewest blocks of at most `limit`, of nearly equal size rounded up to `align`:
// K = 385 with KC 384 becomes 2 x 196 rather than 384 + 1.
int balanced_block(int total, int limit, int align) {
  const int blocks = (total + limit - 1) / limit;
  int size = (total + blocks - 1) / blocks;
  size = (size + align - 1) / align * align;
  return std::min(size, limit);
}

// C[i_begin:i_end, j_begin:j_end] of the product: one task's share, with its own packing buffers.
void run_block(const GemmMicroKernel& uk, const Problem& P, int i_begin, int i_end, int j_begin, int j_end) {
  const int mr = uk.mr, nr = uk.nr;
  const int kc_max = balanced_block(P.K, uk.kc, 8);
  const int nc_max = balanced_block(j_end - j_begin, uk.nc, nr);
  float* bpack = t_bpack.get(size_t(kc_max) * ((nc_max + nr - 1) / nr * nr));
  float* apack = t_apack.get(size_t(kc_max) * mr);
  for (int jc = j_begin; jc < j_end; jc += nc_max) {
    const int nc = std::min(nc_max, j_end - jc);
    for (int pc = 0; pc < P.K; pc += kc_max) {
      const int kc = std::min(kc_max, P.K - pc);
      const float beta = pc == 0 ? P.beta : 1.0f;
      for (int jp = 0; jp < nc; jp += nr) {
        const int n = std::min(nr, nc - jp);
        if (!(P.b_in_place && n == nr)) pack_b_panel(P, uk.pack_transpose, pc, kc, jc + jp, n, nr, bpack + size_t(jp) * kc);
      }
      for (int ip = i_begin; ip < i_end; ip += mr) {
        const int m = std::min(mr, i_end - ip);
        const float* a;
        int a_rs, a_cs;
        if (P.a_in_place && m == mr && !P.trans_a) {
          a = P.A + size_t(ip) * P.lda + pc;  // rows of A
          a_rs = P.lda;
          a_cs = 1;
        } else if (P.a_in_place && m == mr) {
          a = P.A + size_t(pc) * P.lda + ip;  // columns of A: each k step is mr contiguous floats
          a_rs = 1;
          a_cs = P.lda;
        } else {
          pack_a_panel(P, uk.pack_transpose, ip, m, pc, kc, mr, apack);
          a = apack;
          a_rs = 1;
          a_cs = mr;
        }
        float* c_row = P.C + size_t(ip) * P.ldc;
        for (int jp = 0; jp < nc; jp += nr) {
          const int n = std::min(nr, nc - jp);
          if (P.b_in_place && n == nr)
            uk.fn(kc, a, a_rs, a_cs, P.B + size_t(pc) * P.ldb + jc + jp, P.ldb, c_row + jc + jp, P.ldc, P.alpha,
                  beta, m, n);
          else
            uk.fn(kc, a, a_rs, a_cs, bpack + size_t(jp) * kc, nr, c_row + jc + jp, P.ldc, P.alpha, beta, m, n);
        }
      }
    }
  }
}

void scale_c(int M, int N, float beta, float* C, int ldc) {
  for (int i = 0; i < M; ++i) {
    float* row = C + size_t(i) * ldc;
    if (beta == 0.0f)
      std::fill(row, row + N, 0.0f);
    else if (beta != 1.0f)
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
  Problem P{trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, false, false};
  // Reading A in place skips a copy that costs as much as the arithmetic when N is small. Rows of A
  // exactly 4 KiB apart would all land in the same L1 sets, so those are packed; A^T is read in place
  // only while its k steps stay under a page apart. B is read in place when its rows are short.
  P.a_in_place = N <= 4 * uk.nr && (trans_a ? lda < 1024 : lda % 1024 != 0);
  P.b_in_place = !trans_b && ldb <= 4 * uk.nr;

  // Tasks own whole MR/NR-aligned ranges of C. The split changes no result: each element is summed by
  // one task over the same K blocks. Splitting M repeats B's packing (K x N) in every task, splitting
  // N repeats A's (M x K), so the longer of M and N is split.
  const int threads = pool ? pool->size() : 1;
  const double flops = 2.0 * M * N * K;
  const bool split_m = M >= N;
  const int align = split_m ? uk.mr : uk.nr;
  const int extent = split_m ? M : N;
  int tasks = threads > 1 && flops >= 2e6 ? std::min(threads, (extent + align - 1) / align) : 1;
  if (tasks <= 1) {
    run_block(uk, P, 0, M, 0, N);
    return;
  }
  const int per_task = ((extent + tasks - 1) / tasks + align - 1) / align * align;
  tasks = (extent + per_task - 1) / per_task;
  pool->run_pinned(tasks, [&](int t) {
    const int begin = t * per_task, end = std::min(extent, begin + per_task);
    if (split_m)
      run_block(uk, P, begin, end, 0, N);
    else
      run_block(uk, P, 0, M, begin, end);
  });
}

}  // namespace cnn::kernels
