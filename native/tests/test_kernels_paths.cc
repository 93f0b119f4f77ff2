// The GEMM driver's special paths (operands read in place, rows 4 KiB apart packed, splitting over
// M or N between tasks) and pooling/im2col against naive definitions on random shapes, under every
// ISA this CPU has.
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/dispatch.h"
#include "kernels/kernels.h"
#include "tests/harness.h"
#include "tests/kernel_test_util.h"

using namespace cnn;
using namespace cnn::kernels;
using cnn_test::IsaScope;
using cnn_test::random_vec;

namespace {

std::string shape(const char* what, int M, int N, int K, int lda, int ldb) {
  return std::string(isa_name(active_isa())) + " " + what + " M=" + std::to_string(M) + " N=" + std::to_string(N) +
         " K=" + std::to_string(K) + " lda=" + std::to_string(lda) + " ldb=" + std::to_string(ldb);
}

// NN product with explicit leading dimensions, C = 1.0*A*B + 0.5*C, against the reference.
void check_nn(int M, int N, int K, int lda, int ldb, ThreadPool* pool, const char* what) {
  auto A = random_vec(size_t(M) * lda, 31 + M), B = random_vec(size_t(K) * ldb, 32 + N), C = random_vec(size_t(M) * N, 33);
  std::vector<float> got = C, want = C;
  sgemm(false, false, M, N, K, 1.0f, A.data(), lda, B.data(), ldb, 0.5f, got.data(), N, pool);
  sgemm_ref(false, false, M, N, K, 1.0f, A.data(), lda, B.data(), ldb, 0.5f, want.data(), N);
  EXPECT_ARRAYS_CLOSE(got.data(), want.data(), got.size(), 1e-5 * (1 + std::sqrt(double(K))), 1e-5,
                      shape(what, M, N, K, lda, ldb));
}

}  // namespace

TEST(gemm_in_place_and_packed_operand_paths_match_reference) {
  IsaScope scope;
  ThreadPool pool(2);
  for (Isa isa : cpu_isas()) {
    select_isa(isa);
    // Narrow B: A rows and B rows are read in place for full tiles, edges are packed.
    for (int M : {1, 4, 5, 6, 7, 11, 12, 13, 24, 25, 97})
      for (int N : {8, 16, 32, 40, 64, 96, 127}) check_nn(M, N, 1 + (M + N) % 37, 3 + (M + N) % 37, N, nullptr, "narrow");
    // Rows exactly 1024 floats apart are packed (same L1 sets); 1023 and 1025 are read in place.
    for (int lda : {1023, 1024, 1025}) check_nn(37, 48, 700, lda, 48, &pool, "lda-near-4KiB");
    // B rows wider than the in-place limit are packed.
    check_nn(29, 33, 50, 50, 500, nullptr, "wide-ldb");
    // K slightly above the blocking: split into two balanced blocks.
    check_nn(13, 32, 385, 385, 32, nullptr, "K-just-above-KC");
    check_nn(13, 32, 1025, 1025, 32, nullptr, "K-several-blocks");
  }
}

TEST(gemm_results_do_not_depend_on_thread_count_when_splitting_m_or_n) {
  IsaScope scope;
  ThreadPool p2(2), p3(3), p5(5);
  for (Isa isa : cpu_isas()) {
    select_isa(isa);
    // M >= N splits rows between tasks, N > M splits columns.
    for (auto s : {std::vector<int>{517, 67, 300}, std::vector<int>{40, 700, 400}, std::vector<int>{300, 300, 9}}) {
      const int M = s[0], N = s[1], K = s[2];
      for (int ta = 0; ta < 2; ++ta)
        for (int tb = 0; tb < 2; ++tb) {
          auto A = random_vec(size_t(M) * K, 41), B = random_vec(size_t(K) * N, 42);
          std::vector<float> one(size_t(M) * N), other(size_t(M) * N);
          const int lda = ta ? M : K, ldb = tb ? K : N;
          sgemm(ta, tb, M, N, K, 1.0f, A.data(), lda, B.data(), ldb, 0.0f, one.data(), N, nullptr);
          for (ThreadPool* p : {&p2, &p3, &p5}) {
            sgemm(ta, tb, M, N, K, 1.0f, A.data(), lda, B.data(), ldb, 0.0f, other.data(), N, p);
            EXPECT_TRUE(one == other);
          }
        }
    }
  }
}

TEST(gemm_rejects_leading_dimensions_shorter_than_a_row) {
  std::vector<float> A(64), B(64), C(64);
  EXPECT_THROWS(sgemm(false, false, 4, 4, 4, 1.0f, A.data(), 3, B.data(), 4, 0.0f, C.data(), 4));
  EXPECT_THROWS(sgemm(false, true, 4, 4, 4, 1.0f, A.data(), 4, B.data(), 3, 0.0f, C.data(), 4));
  EXPECT_THROWS(sgemm(true, false, 4, 5, 4, 1.0f, A.data(), 4, B.data(), 5, 0.0f, C.data(), 4));
  EXPECT_THROWS(sgemm(false, false, -1, 4, 4, 1.0f, A.data(), 4, B.data(), 4, 0.0f, C.data(), 4));
}

TEST(gemm_alpha_zero_only_scales_c) {
  std::vector<float> A(6, std::numeric_limits<float>::quiet_NaN()), B(6, 1.0f), C = {1, 2, 3, 4};
  sgemm(false, false, 2, 2, 3, 0.0f, A.data(), 3, B.data(), 2, 2.0f, C.data(), 2);
  const std::vector<float> want = {2, 4, 6, 8};
  EXPECT_TRUE(C == want);
}

namespace {

// Pooling by its definition: every window clipped to the input, max over real cells, mean over them.
void naive_pool(const PoolGeometry& g, const std::vector<float>& x, std::vector<float>& ymax, std::vector<float>& yavg) {
  ymax.assign(size_t(g.batch) * g.out_h * g.out_w * g.c, 0.0f);
  yavg = ymax;
  for (int b = 0; b < g.batch; ++b)
    for (int oy = 0; oy < g.out_h; ++oy)
      for (int ox = 0; ox < g.out_w; ++ox)
        for (int c = 0; c < g.c; ++c) {
          float best = -std::numeric_limits<float>::infinity();
          double sum = 0;
          int count = 0;
          for (int ky = 0; ky < g.pool_h; ++ky)
            for (int kx = 0; kx < g.pool_w; ++kx) {
              const int iy = oy * g.stride_h - g.pad_top + ky, ix = ox * g.stride_w - g.pad_left + kx;
              if (iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w) continue;
              const float v = x[((size_t(b) * g.in_h + iy) * g.in_w + ix) * g.c + c];
              best = std::max(best, v);
              sum += v;
              ++count;
            }
          const size_t o = ((size_t(b) * g.out_h + oy) * g.out_w + ox) * g.c + c;
          ymax[o] = best;
          yavg[o] = float(sum / count);
        }
}

}  // namespace

TEST(pooling_matches_its_definition_and_backward_is_the_adjoint) {
  struct Case { int h, w, c, ph, pw, sh, sw; bool same; };
  const Case cases[] = {{4, 4, 1, 2, 2, 2, 2, false}, {5, 5, 3, 2, 2, 2, 2, true},  {7, 6, 2, 3, 3, 2, 2, true},
                        {7, 6, 2, 3, 3, 2, 2, false}, {6, 9, 4, 3, 2, 1, 3, true},  {5, 7, 3, 3, 3, 1, 1, true},
                        {9, 9, 2, 4, 4, 3, 3, true},  {3, 8, 1, 1, 4, 1, 4, false}};
  for (const Case& k : cases) {
    auto g = make_pool_geometry(2, k.h, k.w, k.c, k.ph, k.pw, k.sh, k.sw, k.same);
    const std::string tag = "pool " + std::to_string(k.h) + "x" + std::to_string(k.w) + " window " +
                            std::to_string(k.ph) + "x" + std::to_string(k.pw) + " stride " + std::to_string(k.sh) +
                            "x" + std::to_string(k.sw) + (k.same ? " same" : " valid");
    const size_t nx = size_t(2) * k.h * k.w * k.c, ny = size_t(2) * g.out_h * g.out_w * k.c;
    auto x = random_vec(nx, 51), dy = random_vec(ny, 52);
    std::vector<float> want_max, want_avg, y(ny), dx(nx);
    std::vector<int32_t> arg(ny);
    naive_pool(g, x, want_max, want_avg);
    maxpool_forward(g, x.data(), y.data(), arg.data());
    EXPECT_ARRAYS_CLOSE(y.data(), want_max.data(), ny, 0.0, 0.0, tag + " max");
    avgpool_forward(g, x.data(), y.data());
    EXPECT_ARRAYS_CLOSE(y.data(), want_avg.data(), ny, 1e-6, 1e-6, tag + " avg");
    // Max backward sends each dy to the input its argmax names, which must hold the max.
    std::vector<float> want_dx(nx, 0.0f);
    for (size_t o = 0; o < ny; ++o) {
      const size_t b = o / (size_t(g.out_h) * g.out_w * k.c);
      const size_t src = b * size_t(k.h) * k.w * k.c + size_t(arg[o]);
      EXPECT_TRUE(src < nx && x[src] == want_max[o]);
      if (src < nx) want_dx[src] += dy[o];
    }
    maxpool_backward(g, dy.data(), arg.data(), dx.data());
    EXPECT_ARRAYS_CLOSE(dx.data(), want_dx.data(), nx, 1e-6, 1e-6, tag + " max backward");
    // Average backward is the adjoint of average forward: <avg(x), dy> == <x, avg_backward(dy)>.
    avgpool_backward(g, dy.data(), dx.data());
    double lhs = 0, rhs = 0;
    for (size_t i = 0; i < ny; ++i) lhs += double(y[i]) * dy[i];
    for (size_t i = 0; i < nx; ++i) rhs += double(x[i]) * dx[i];
    EXPECT_NEAR(lhs, rhs, 1e-5 * (1 + std::fabs(lhs)));
  }
}

TEST(col2im_is_the_adjoint_of_im2col_for_strides_dilation_and_odd_padding) {
  struct Case { int h, w, c, kh, kw, sh, sw, dh, dw; bool same; };
  const Case cases[] = {{7, 6, 3, 3, 3, 2, 2, 1, 1, true}, {8, 8, 2, 3, 3, 1, 1, 2, 2, true},
                        {6, 7, 2, 2, 2, 2, 1, 1, 1, true}, {9, 5, 4, 5, 3, 3, 2, 1, 1, true},
                        {10, 9, 1, 3, 2, 2, 3, 2, 3, false}, {5, 5, 3, 1, 1, 2, 2, 1, 1, true},
                        {6, 6, 2, 4, 4, 1, 1, 1, 1, true}};
  for (const Case& k : cases) {
    auto g = make_conv_geometry(2, k.h, k.w, k.c, k.kh, k.kw, k.sh, k.sw, k.dh, k.dw, k.same);
    const size_t nx = size_t(2) * k.h * k.w * k.c, nc = size_t(g.batch) * g.out_h * g.out_w * k.kh * k.kw * k.c;
    auto x = random_vec(nx, 61), y = random_vec(nc, 62);
    std::vector<float> cols(nc), back(nx);
    im2col_nhwc(g, x.data(), cols.data());
    col2im_nhwc(g, y.data(), back.data());
    double lhs = 0, rhs = 0;
    for (size_t i = 0; i < nc; ++i) lhs += double(cols[i]) * y[i];
    for (size_t i = 0; i < nx; ++i) rhs += double(x[i]) * back[i];
    EXPECT_NEAR(lhs, rhs, 1e-5 * (1 + std::fabs(lhs)));
  }
}

TEST(transposing_pack_of_every_isa_matches_the_reference) {
  IsaScope scope;
  for (Isa isa : cpu_isas()) {
    select_isa(isa);
    const PackTransposeFn pack = table().gemm_ukernel.pack_transpose;
    for (int r_pad : {4, 6, 12, 16, 32})
      for (int rows = 1; rows <= r_pad; rows += (rows < 3 ? 1 : 5))
        for (int cols : {1, 7, 15, 16, 17, 40}) {
          const int ld = cols + 3;
          auto src = random_vec(size_t(rows) * ld, 71);
          std::vector<float> got(size_t(cols) * r_pad, std::numeric_limits<float>::quiet_NaN()), want(got.size());
          pack(src.data(), ld, rows, cols, r_pad, got.data());
          pack_transpose_ref(src.data(), ld, rows, cols, r_pad, want.data());
          EXPECT_ARRAYS_CLOSE(got.data(), want.data(), got.size(), 0.0, 0.0,
                              std::string(isa_name(isa)) + " pack r_pad=" + std::to_string(r_pad) +
                                  " rows=" + std::to_string(rows) + " cols=" + std::to_string(cols));
        }
  }
}
