#include "core/bench_gemm.h"

#include <chrono>
#include <vector>

#include "core/error.h"
#include "core/thread_pool.h"
#include "kernels/kernels.h"

namespace cnn {

GemmBenchResult bench_sgemm(int M, int N, int K, int threads, double min_seconds) {
  CNN_CHECK(M >= 1 && N >= 1 && K >= 1 && threads >= 1, "bench sizes and threads must be positive");
  std::vector<float> A(size_t(M) * K), B(size_t(K) * N), C(size_t(M) * N);
  uint32_t s = 12345;
  auto rnd = [&] {
    s = s * 1664525u + 1013904223u;
    return float(s >> 8) / float(1 << 24);
  };
  for (auto& v : A) v = rnd();
  for (auto& v : B) v = rnd();
  ThreadPool pool(threads);
  auto once = [&] { kernels::sgemm(false, false, M, N, K, 1.0f, A.data(), K, B.data(), N, 0.0f, C.data(), N, &pool); };
  once();  // warm-up: page in, size the packing buffers
  long reps = 1;
  double seconds = 0;
  for (;;) {
    auto t0 = std::chrono::steady_clock::now();
    for (long r = 0; r < reps; ++r) once();
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (seconds >= min_seconds) break;
    reps *= 2;
  }
  return {M, N, K, threads, 2.0 * M * N * K * reps / seconds / 1e9};
}

}  // namespace cnn
