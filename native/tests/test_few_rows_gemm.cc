// GEMMs with at most a few rows (M <= 6: Conv2D with few filters computed filters-as-rows) run on a
// narrower tile under AVX-512; under every ISA the CPU has, they must match a naive product, with every
// transpose, beta, and a leading dimension wider than the row.
#include <random>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/dispatch.h"
#include "kernels/kernels.h"
#include "tests/harness.h"

using namespace cnn;
using namespace cnn::kernels;

namespace {

struct IsaRestore {
  Isa saved = active_isa();
  ~IsaRestore() { select_isa(saved); }
};

std::vector<float> random_values(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

}  // namespace

TEST(few_row_gemms_match_the_naive_product_under_every_isa) {
  IsaRestore restore;
  ThreadPool pool(2);
  for (Isa isa : cpu_isas()) {
    select_isa(isa);
    if (isa == Isa::avx512) EXPECT_TRUE(table().gemm_ukernel_few_rows.fn == nullptr || table().gemm_ukernel_few_rows.mr <= 6);
    for (int M : {1, 3, 6, 7})
      for (int N : {5, 37, 700})
        for (int K : {1, 25, 75, 400})
          for (int ta = 0; ta < 2; ++ta)
            for (int tb = 0; tb < 2; ++tb) {
              const int lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 5, ldc = N + 2;
              auto A = random_values(size_t(ta ? K : M) * lda, 1 + M + K);
              auto B = random_values(size_t(tb ? N : K) * ldb, 2 + N + K);
              auto C = random_values(size_t(M) * ldc, 3);
              std::vector<float> want(C);
              const float alpha = 0.75f, beta = (K % 2) ? 0.0f : 0.5f;
              for (int i = 0; i < M; ++i)
                for (int j = 0; j < N; ++j) {
                  double s = 0;
                  for (int p = 0; p < K; ++p)
                    s += double(ta ? A[size_t(p) * lda + i] : A[size_t(i) * lda + p]) *
                         (tb ? B[size_t(j) * ldb + p] : B[size_t(p) * ldb + j]);
                  want[size_t(i) * ldc + j] = float(alpha * s + beta * want[size_t(i) * ldc + j]);
                }
              sgemm(ta, tb, M, N, K, alpha, A.data(), lda, B.data(), ldb, beta, C.data(), ldc, &pool);
              const std::string ctx = std::string(isa_name(isa)) + " M=" + std::to_string(M) + " N=" + std::to_string(N) +
                                      " K=" + std::to_string(K) + " ta=" + std::to_string(ta) + " tb=" + std::to_string(tb);
              EXPECT_ARRAYS_CLOSE(C.data(), want.data(), C.size(), 1e-4, 1e-4, ctx.c_str());
            }
  }
}
