// A BLIS-style packed GEMM driver: C = alpha*op(A)*op(B) + beta*C, row-major.
// Loops: jc over N in NC columns, pc over K in KC, then (in parallel) ic over M in MC rows; B's KCxNC
// block is packed once into NR-wide panels, each task packs its MCxKC block of A into MR-tall panels,
// then runs the micro-kernel on every MRxNR tile. Every C element is produced by one task, with the
// K blocks summed in the same order whatever the thread count, so results do not depend on threads.
#pragma once

namespace cnn {
class ThreadPool;
}

namespace cnn::kernels {

// Micro-kernel contract: acc[MR][NR] = sum_{p<kc} a[p*MR + i] * b[p*NR + j]; then for i<m, j<n:
//   C[i*ldc + j] = alpha*acc[i][j] + (beta == 0 ? 0 : beta*C[i*ldc + j]).
// a and b are packed panels (zero-padded to MR/NR); m <= MR and n <= NR (edges are the kernel's job).
using GemmUkernelFn = void (*)(int kc, const float* a, const float* b, float* c, int ldc, float alpha, float beta,
                               int m, int n);

struct GemmMicroKernel {
  int mr, nr;
  int kc, mc, nc;  // cache blocking chosen for this tile
  GemmUkernelFn fn;
  const char* name;
};

void sgemm_packed(const GemmMicroKernel& uk, bool trans_a, bool trans_b, int M, int N, int K, float alpha,
                  const float* A, int lda, const float* B, int ldb, float beta, float* C, int ldc, ThreadPool* pool);

}  // namespace cnn::kernels
