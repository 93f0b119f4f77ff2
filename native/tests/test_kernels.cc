// Every fast kernel against its reference, under every ISA this CPU has (the suite loops over
// kernels::cpu_isas() and forces each in turn). Tolerances are relative to the sum of |a*b| terms.
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/thread_pool.h"
#include "kernels/kernels.h"
#include "tests/harness.h"
#include "tests/kernel_test_util.h"

using namespace cnn;
using namespace cnn::kernels;
using cnn_test::IsaScope;
using cnn_test::random_vec;

namespace {

// Runs one GEMM through the dispatched kernel and the reference and compares.
void check_gemm(bool ta, bool tb, int M, int N, int K, float alpha, float beta, int pad, ThreadPool* pool,
                const std::string& tag) {
  const int lda = (ta ? M : K) + pad, ldb = (tb ? K : N) + pad, ldc = N + pad;
  auto A = random_vec(size_t(ta ? K : M) * lda, 1 + M);
  auto B = random_vec(size_t(tb ? N : K) * ldb, 2 + N);
  auto C0 = random_vec(size_t(M) * ldc, 3 + K);
  std::vector<float> got = C0, want = C0;
  if (beta == 0.0f)
    for (auto& v : got) v = std::numeric_limits<float>::quiet_NaN();  // beta 0 must overwrite garbage
  sgemm(ta, tb, M, N, K, alpha, A.data(), lda, B.data(), ldb, beta, got.data(), ldc, pool);
  sgemm_ref(ta, tb, M, N, K, alpha, A.data(), lda, B.data(), ldb, beta, want.data(), ldc);
  std::vector<float> g, w;
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      g.push_back(got[size_t(i) * ldc + j]);
      w.push_back(want[size_t(i) * ldc + j]);
    }
  // Products of values in [-1,1]: float error grows about like sqrt(K) * eps.
  const double atol = 1e-5 * (1 + std::sqrt(double(K))) * (std::fabs(alpha) + 1);
  EXPECT_ARRAYS_CLOSE(g.data(), w.data(), g.size(), atol, 1e-5,
                      tag + " ta=" + std::to_string(ta) + " tb=" + std::to_string(tb) + " M=" + std::to_string(M) +
                          " N=" + std::to_string(N) + " K=" + std::to_string(K));
}

// Direct NHWC convolution, the definition im2col+GEMM must match.
std::vector<float> direct_conv(const ConvGeometry& g, const std::vector<float>& x, const std::vector<float>& w,
                               int filters) {
  std::vector<float> y(size_t(g.batch) * g.out_h * g.out_w * filters, 0.0f);
  for (int b = 0; b < g.batch; ++b)
    for (int oy = 0; oy < g.out_h; ++oy)
      for (int ox = 0; ox < g.out_w; ++ox)
        for (int f = 0; f < filters; ++f) {
          double s = 0;
          for (int ky = 0; ky < g.k_h; ++ky)
            for (int kx = 0; kx < g.k_w; ++kx) {
              const int iy = oy * g.stride_h - g.pad_top + ky * g.dil_h, ix = ox * g.stride_w - g.pad_left + kx * g.dil_w;
              if (iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w) continue;
              for (int c = 0; c < g.in_c; ++c)
                s += double(x[((size_t(b) * g.in_h + iy) * g.in_w + ix) * g.in_c + c]) *
                     w[((size_t(ky) * g.k_w + kx) * g.in_c + c) * filters + f];
            }
          y[((size_t(b) * g.out_h + oy) * g.out_w + ox) * filters + f] = float(s);
        }
  return y;
}

}  // namespace

TEST(gemm_every_isa_matches_reference_on_edge_shapes) {
  IsaScope scope;
  ThreadPool pool(2);
  const int sizes[] = {1, 2, 3, 5, 6, 7, 11, 12, 13, 16, 17, 31, 32, 33, 47};
  for (Isa isa : cpu_isas()) {
    select_isa(isa);
    const std::string tag = isa_name(isa);
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb)
        for (int M : sizes)
          for (int N : {1, 3, 8, 15, 16, 17, 33})
            check_gemm(ta, tb, M, N, 1 + (M * 7 + N) % 23, 1.0f, 0.0f, 0, nullptr, tag);
    // K below, at and above every ISA's KC blocking (256 and 384), with alpha/beta and leading dims.
    for (int K : {1, 9, 255, 256, 257, 383, 384, 385, 700})
      for (int ta = 0; ta < 2; ++ta)
        for (int tb = 0; tb < 2; ++tb) check_gemm(ta, tb, 29, 37, K, 0.5f, 1.5f, 3, &pool, tag + " K-blocking");
    // Larger than MC/NC blocks, multithreaded.
    check_gemm(false, false, 301, 4100, 20, 1.0f, 0.0f, 0, &pool, tag + " big-N");
    check_gemm(false, true, 1000, 70, 300, -2.0f, 0.25f, 1, &pool, tag + " big-M");
    // The seed models' skinny shapes.
    check_gemm(false, false, 2000, 32, 9, 1.0f, 0.0f, 0, &pool, tag + " conv1");
    check_gemm(true, false, 288, 64, 1000, 1.0f, 0.0f, 0, &pool, tag + " weight-grad");
    check_gemm(false, true, 500, 288, 64, 1.0f, 0.0f, 0, &pool, tag + " input-grad");
    check_gemm(false, false, 300, 3, 25, 1.0f, 0.0f, 0, &pool, tag + " tiny-N");
  }
}

TEST(gemm_threads_do_not_change_results) {
  IsaScope scope;
  for (Isa isa : cpu_isas()) {
    select_isa(isa);
    const int M = 517, N = 67, K = 300;
    auto A = random_vec(size_t(M) * K, 7), B = random_vec(size_t(K) * N, 8);
    std::vector<float> one(size_t(M) * N), two(size_t(M) * N);
    ThreadPool p1(1), p2(2), p3(3);
    sgemm(false, false, M, N, K, 1.0f, A.data(), K, B.data(), N, 0.0f, one.data(), N, &p1);
    sgemm(false, false, M, N, K, 1.0f, A.data(), K, B.data(), N, 0.0f, two.data(), N, &p2);
    EXPECT_TRUE(one == two);
    sgemm(false, false, M, N, K, 1.0f, A.data(), K, B.data(), N, 0.0f, two.data(), N, &p3);
    EXPECT_TRUE(one == two);
  }
}

TEST(gemm_k_zero_scales_c_by_beta) {
  std::vector<float> C = {1, 2, 3, 4};
  sgemm(false, false, 2, 2, 0, 1.0f, nullptr, 1, nullptr, 2, 0.5f, C.data(), 2);
  EXPECT_EQ(C[3], 2.0f);
}

TEST(im2col_gemm_matches_direct_convolution) {
  IsaScope scope;
  struct Case { int h, w, c, kh, kw, s, d, f; bool same; };
  const Case cases[] = {{5, 5, 1, 3, 3, 1, 1, 2, false}, {7, 6, 3, 3, 2, 2, 1, 4, true},  {8, 8, 2, 3, 3, 1, 2, 3, true},
                        {6, 7, 2, 2, 2, 2, 1, 5, true},  {4, 4, 1, 4, 4, 1, 1, 1, false}, {9, 5, 4, 5, 3, 3, 1, 2, true},
                        {28, 28, 1, 5, 5, 1, 1, 3, false}, {5, 5, 3, 2, 2, 1, 3, 2, false}};
  for (Isa isa : cpu_isas()) {
    select_isa(isa);
    for (const Case& k : cases) {
      auto g = make_conv_geometry(2, k.h, k.w, k.c, k.kh, k.kw, k.s, k.s, k.d, k.d, k.same);
      auto x = random_vec(size_t(2) * k.h * k.w * k.c, 11), w = random_vec(size_t(k.kh) * k.kw * k.c * k.f, 12);
      const int rows = g.batch * g.out_h * g.out_w, depth = k.kh * k.kw * k.c;
      std::vector<float> cols(size_t(rows) * depth), y(size_t(rows) * k.f);
      im2col_nhwc(g, x.data(), cols.data());
      sgemm(false, false, rows, k.f, depth, 1.0f, cols.data(), depth, w.data(), k.f, 0.0f, y.data(), k.f);
      auto want = direct_conv(g, x, w, k.f);
      EXPECT_ARRAYS_CLOSE(y.data(), want.data(), want.size(), 1e-5, 1e-5,
                          std::string(isa_name(isa)) + " conv h=" + std::to_string(k.h) + " same=" + std::to_string(k.same));
    }
  }
}

TEST(same_padding_puts_the_odd_pixel_bottom_right) {
  auto g = make_conv_geometry(1, 6, 6, 1, 2, 2, 1, 1, 1, 1, true);  // total pad 1: 0 before, 1 after
  EXPECT_EQ(g.out_h, 6);
  EXPECT_EQ(g.pad_top, 0);
  auto g2 = make_conv_geometry(1, 7, 7, 1, 4, 4, 2, 2, 1, 1, true);  // out 4, total pad 3+4-7 = 3 -> 1 before
  EXPECT_EQ(g2.out_h, 4);
  EXPECT_EQ(g2.pad_top, 1);
  EXPECT_THROWS(make_conv_geometry(1, 3, 3, 1, 5, 5, 1, 1, 1, 1, false));
}

TEST(col2im_is_the_adjoint_of_im2col) {
  auto g = make_conv_geometry(2, 7, 6, 3, 3, 3, 2, 2, 1, 1, true);
  const size_t nx = size_t(2) * 7 * 6 * 3, nc = size_t(g.batch) * g.out_h * g.out_w * 27;
  auto x = random_vec(nx, 21), y = random_vec(nc, 22);
  std::vector<float> cols(nc), back(nx);
  im2col_nhwc(g, x.data(), cols.data());
  col2im_nhwc(g, y.data(), back.data());
  double lhs = 0, rhs = 0;
  for (size_t i = 0; i < nc; ++i) lhs += double(cols[i]) * y[i];
  for (size_t i = 0; i < nx; ++i) rhs += double(x[i]) * back[i];
  EXPECT_NEAR(lhs, rhs, 1e-4 * (1 + std::fabs(lhs)));
}

TEST(pooling_max_and_average_with_same_padding) {
  // 3x3 single channel, 2x2 windows, stride 2, same: out 2x2, windows clipped at the bottom/right.
  const std::vector<float> x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  auto g = make_pool_geometry(1, 3, 3, 1, 2, 2, 2, 2, true);
  EXPECT_EQ(g.out_h, 2);
  std::vector<float> y(4);
  std::vector<int32_t> arg(4);
  maxpool_forward(g, x.data(), y.data(), arg.data());
  const std::vector<float> want_max = {5, 6, 8, 9};
  EXPECT_TRUE(y == want_max);
  avgpool_forward(g, x.data(), y.data());
  const std::vector<float> want_avg = {3, 4.5f, 7.5f, 9};
  EXPECT_TRUE(y == want_avg);
  // Backward: max routes to the argmax; average spreads over the real cells only.
  const std::vector<float> dy = {1, 1, 1, 1};
  std::vector<float> dx(9);
  maxpool_backward(g, dy.data(), arg.data(), dx.data());
  const std::vector<float> want_dmax = {0, 0, 0, 0, 1, 1, 0, 1, 1};
  EXPECT_TRUE(dx == want_dmax);
  avgpool_backward(g, dy.data(), dx.data());
  const std::vector<float> want_davg = {0.25f, 0.25f, 0.5f, 0.25f, 0.25f, 0.5f, 0.5f, 0.5f, 1.0f};
  EXPECT_TRUE(dx == want_davg);
}

TEST(max_pooling_ignores_padding_for_negative_inputs) {
  const std::vector<float> x = {-4, -3, -2, -1};
  auto g = make_pool_geometry(1, 2, 2, 1, 2, 2, 1, 1, true);
  std::vector<float> y(4);
  std::vector<int32_t> arg(4);
  maxpool_forward(g, x.data(), y.data(), arg.data());
  const std::vector<float> want = {-1, -1, -1, -1};
  EXPECT_TRUE(y == want);
}

TEST(unavailable_isa_is_an_error_naming_what_the_cpu_has) {
  IsaScope scope;
  auto have = cpu_isas();
  bool threw = false;
  try {
    select_isa_by_name("no-such-isa");
  } catch (const Error& e) {
    threw = true;
    EXPECT_EQ(e.code(), std::string(kErrIsaUnavailable));
    EXPECT_TRUE(std::string(e.what()).find("scalar") != std::string::npos);
  }
  EXPECT_TRUE(threw);
  for (Isa isa : {Isa::avx2, Isa::avx512, Isa::neon}) {
    bool present = false;
    for (Isa h : have) present = present || h == isa;
    if (!present) EXPECT_THROWS(select_isa(isa));
  }
}
