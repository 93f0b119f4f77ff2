// Times kernels::sgemm (row-major C = A*B, alpha 1, beta 0) for `cnn bench gemm`.
#pragma once

namespace cnn {

struct GemmBenchResult {
  int M, N, K, threads;
  double gflops;
};

// Repeats the multiplication, doubling the count until it takes at least min_seconds.
GemmBenchResult bench_sgemm(int M, int N, int K, int threads, double min_seconds);

}  // namespace cnn
