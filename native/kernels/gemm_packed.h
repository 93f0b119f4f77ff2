// A BLIS-style cache-blocked GEMM driver: C = alpha*op(A)*op(B) + beta*C, row-major.
// Per task (a fixed range of rows or columns of C): jc over N in NC columns, pc over K in KC, pack
// op(B)[pc, jc] (KC x NC, in L2) into NR-wide panels, then for every MR-tall slice of A: pack it
// (KC x MR, stays in L1) and run the micro-kernel against every B panel. Every C element is summed by
// one task, over the same K blocks in the same order, so results never depend on the thread count.
#pragma once

namespace cnn {
class ThreadPool;
}

namespace cnn::kernels {

// Micro-kernel contract, for an MR x NR register tile:
//   acc[i][j] = sum_{p<kc} A(i,p) * b[p*ldb + j],  A(i,p) = a[i*a_rs + p*a_cs]
//   C[i*ldc + j] = alpha*acc[i][j] + (beta == 0 ? 0 : beta*C[i*ldc + j])   for i < m <= MR, j < n <= NR
// A is a packed panel (a_rs 1, a_cs MR, zero-padded to MR rows) or, only when m == MR, rows of A read
// in place (a_rs = lda, a_cs 1). b is a packed panel (ldb NR, zero-padded) or, only when n == NR, rows
// of B read in place (ldb >= NR). kc >= 1. Edge tiles (m < MR or n < NR) store only their m x n part.
using GemmUkernelFn = void (*)(int kc, const float* a, int a_rs, int a_cs, const float* b, int ldb, float* c,
                               int ldc, float alpha, float beta, int m, int n);

// Transposing pack: out[c*r_pad + r] = src[r*ld + c] for r < rows <= r_pad, c < cols; rows rows..r_pad-1
// of every column are zero. Packs op(A) rows of A (r_pad MR) and op(B) columns that are rows of B
// (r_pad NR).
using PackTransposeFn = void (*)(const float* src, int ld, int rows, int cols, int r_pad, float* out);
void pack_transpose_ref(const float* src, int ld, int rows, int cols, int r_pad, float* out);

struct GemmMicroKernel {
  int mr, nr;
  int kc, nc;  // cache blocking: a KC x NC block of packed B is sized for L2
  GemmUkernelFn fn;
  const char* name;
  PackTransposeFn pack_transpose;
};

void sgemm_packed(const GemmMicroKernel& uk, bool trans_a, bool trans_b, int M, int N, int K, float alpha,
                  const float* A, int lda, const float* B, int ldb, float beta, float* C, int ldc, ThreadPool* pool);

}  // namespace cnn::kernels
