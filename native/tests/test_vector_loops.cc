// The loops of kernels/impl/vector_loops.h, as compiled for each ISA, against the plain references,
// under every ISA this CPU has: max pooling (values and argmax exactly), the transposed im2col
// (exactly the transpose of im2col_nhwc), swish forward/backward (within a few ulp of std::exp's).
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/kernels.h"
#include "tests/harness.h"
#include "tests/kernel_test_util.h"

using namespace cnn::kernels;
using cnn_test::IsaScope;
using cnn_test::random_vec;

TEST(vector_loops_maxpool_matches_reference_under_every_isa) {
  IsaScope scope;
  struct Case { int h, w, c, p, s; bool same; };
  const Case cases[] = {{6, 6, 3, 2, 2, false}, {7, 5, 70, 3, 2, true}, {26, 26, 32, 2, 2, false},
                        {5, 5, 1, 3, 1, true},  {4, 9, 65, 2, 3, true}, {3, 3, 130, 3, 3, false},
                        {11, 11, 64, 2, 2, false}, {7, 5, 48, 3, 2, true}, {5, 6, 16, 3, 1, true}};
  for (Isa isa : cpu_isas()) {
    select_isa(isa);
    for (const Case& k : cases) {
      auto g = make_pool_geometry(2, k.h, k.w, k.c, k.p, k.p, k.s, k.s, k.same);
      auto x = random_vec(size_t(2) * k.h * k.w * k.c, 5 + k.c);
      for (size_t i = 0; i < x.size(); i += 7) x[i] = x[i ? i - 1 : 0];  // ties: the first one wins
      const size_t n = size_t(2) * g.out_h * g.out_w * k.c;
      std::vector<float> y(n), y_ref(n);
      std::vector<int32_t> a(n), a_ref(n);
      maxpool_forward(g, x.data(), y.data(), a.data());
      maxpool_forward_ref(g, x.data(), y_ref.data(), a_ref.data());
      EXPECT_TRUE(y == y_ref);
      EXPECT_TRUE(a == a_ref);
      if (a != a_ref) std::printf("    isa %s case h=%d c=%d\n", isa_name(isa), k.h, k.c);
      // Backward from the reference's argmax, bit for bit (overlapping windows add in output order).
      auto dy = random_vec(n, 9 + k.c);
      dy[0] = -0.0f;  // the reference's 0 + -0 is +0
      std::vector<float> dx(x.size(), std::nanf("")), dx_ref(x.size());
      maxpool_backward(g, dy.data(), a_ref.data(), dx.data());
      maxpool_backward_ref(g, dy.data(), a_ref.data(), dx_ref.data());
      EXPECT_TRUE(std::memcmp(dx.data(), dx_ref.data(), dx.size() * sizeof(float)) == 0);
    }
  }
}

TEST(vector_loops_im2col_transposed_matches_im2col_under_every_isa) {
  IsaScope scope;
  for (Isa isa : cpu_isas()) {
    select_isa(isa);
    for (bool same : {false, true}) {
      auto g = make_conv_geometry(3, 9, 8, 3, 3, 2, 2, 1, 1, 1, same);
      auto x = random_vec(size_t(3) * 9 * 8 * 3, 9);
      const size_t rows = size_t(3) * g.out_h * g.out_w, patch = size_t(3) * 2 * 3, ld = rows + 5;
      std::vector<float> cols(rows * patch), cols_t(patch * ld, 7.0f), want(patch * ld, 7.0f);
      im2col_nhwc(g, x.data(), cols.data());
      for (size_t r = 0; r < rows; ++r)
        for (size_t p = 0; p < patch; ++p) want[p * ld + r] = cols[r * patch + p];
      im2col_transposed_nhwc(g, x.data(), cols_t.data(), ld);
      EXPECT_TRUE(cols_t == want);
    }
  }
}

TEST(vector_loops_swish_matches_reference_under_every_isa) {
  IsaScope scope;
  auto z = random_vec(4099, 3, -30.0f, 30.0f);
  z[0] = 0.0f;
  z[1] = -100.0f;
  z[2] = 100.0f;
  std::vector<float> want(z.size()), g_want(z.size(), 1.5f);
  swish_forward_ref(z.data(), want.data(), z.size());
  swish_backward_ref(z.data(), g_want.data(), z.size());
  for (Isa isa : cpu_isas()) {
    select_isa(isa);
    std::vector<float> y(z.size()), g(z.size(), 1.5f);
    swish_forward(z.data(), y.data(), z.size());
    swish_backward(z.data(), g.data(), z.size());
    EXPECT_ARRAYS_CLOSE(y.data(), want.data(), y.size(), 1e-6, 4e-6, std::string(isa_name(isa)) + " swish forward");
    EXPECT_ARRAYS_CLOSE(g.data(), g_want.data(), g.size(), 1e-6, 4e-6, std::string(isa_name(isa)) + " swish backward");
  }
}

// Found by fuzz_network (UBSan): a NaN pre-activation reached int32_t(NaN) inside the vectorisable exp,
// which is undefined. NaN must stay NaN, infinities must give swish's limits, under every ISA (the
// CNN_SANITIZE=1 build names float-cast-overflow, so the undefined cast fails it there).
TEST(vector_loops_swish_of_nan_and_infinity_is_defined_under_every_isa) {
  IsaScope scope;
  std::vector<float> z(37, 1.0f);
  for (size_t i : {size_t(0), size_t(17), size_t(36)}) z[i] = std::nanf("");
  z[5] = INFINITY;
  z[6] = -INFINITY;
  for (Isa isa : cpu_isas()) {
    select_isa(isa);
    std::vector<float> y(z.size()), g(z.size(), 1.0f);
    swish_forward(z.data(), y.data(), z.size());
    swish_backward(z.data(), g.data(), z.size());
    for (size_t i : {size_t(0), size_t(17), size_t(36)}) {
      EXPECT_TRUE(std::isnan(y[i]));
      EXPECT_TRUE(std::isnan(g[i]));
    }
    EXPECT_TRUE(std::isinf(y[5]) && y[5] > 0);
    // -inf * sigmoid(-inf): the reference's -inf * 0 is NaN, the clamped exp gives -inf * tiny; never positive.
    EXPECT_TRUE(std::isnan(y[6]) || y[6] <= 0.0f);
    EXPECT_NEAR(y[1], 1.0 / (1.0 + std::exp(-1.0)), 1e-6);
  }
}

// Adam (with and without amsgrad) and RMSprop (plain, momentum, centered, both), as compiled for each
// ISA, equal the one-element-at-a-time references bit for bit over several steps, on a length with a
// vector tail and with gradients of very different sizes.
TEST(vector_loops_optimizer_updates_equal_reference_bit_for_bit_under_every_isa) {
  IsaScope scope;
  const size_t n = 1037;
  auto grads = random_vec(n, 91);
  for (size_t i = 0; i < n; i += 5) grads[i] *= 1e-4f;
  for (size_t i = 0; i < n; i += 7) grads[i] *= 300.0f;
  auto start = random_vec(n, 92);
  const AdamStep adam{0.1f, 0.001f, 0.0007f, 1e-7f};
  const RmspropStep rms_steps[] = {{0.9f, 0.1f, 0.001f, 0.0f, 1e-7f}, {0.9f, 0.1f, 0.001f, 0.5f, 1e-7f}};
  for (Isa isa : cpu_isas()) {
    select_isa(isa);
    const std::string name = isa_name(isa);
    for (bool amsgrad : {false, true}) {
      std::vector<float> w = start, m(n, 0.0f), v(n, 0.0f), vh(n, 0.0f);
      std::vector<float> w_ref = start, m_ref(n, 0.0f), v_ref(n, 0.0f), vh_ref(n, 0.0f);
      for (int step = 0; step < 3; ++step) {
        adam_update(w.data(), grads.data(), m.data(), v.data(), amsgrad ? vh.data() : nullptr, n, adam);
        adam_update_ref(w_ref.data(), grads.data(), m_ref.data(), v_ref.data(), amsgrad ? vh_ref.data() : nullptr, n,
                        adam);
      }
      EXPECT_TRUE(w == w_ref && m == m_ref && v == v_ref && vh == vh_ref);
      if (w != w_ref) std::printf("    isa %s adam amsgrad=%d\n", name.c_str(), int(amsgrad));
    }
    for (const RmspropStep& rs : rms_steps)
      for (bool centered : {false, true}) {
        const bool momentum = rs.momentum > 0;
        std::vector<float> w = start, vel(n, 0.0f), mom(n, 0.0f), avg(n, 0.0f);
        std::vector<float> w_ref = start, vel_ref(n, 0.0f), mom_ref(n, 0.0f), avg_ref(n, 0.0f);
        for (int step = 0; step < 3; ++step) {
          rmsprop_update(w.data(), grads.data(), vel.data(), momentum ? mom.data() : nullptr,
                         centered ? avg.data() : nullptr, n, rs);
          rmsprop_update_ref(w_ref.data(), grads.data(), vel_ref.data(), momentum ? mom_ref.data() : nullptr,
                             centered ? avg_ref.data() : nullptr, n, rs);
        }
        EXPECT_TRUE(w == w_ref && vel == vel_ref && mom == mom_ref && avg == avg_ref);
        if (w != w_ref) std::printf("    isa %s rmsprop momentum=%d centered=%d\n", name.c_str(), int(momentum), int(centered));
      }
  }
}

// The direct Conv2D input gradient, as compiled for each ISA, against its one-product-at-a-time
// reference and against what it replaces, col2im_nhwc(dZ W^T): valid and same padding, rows narrower
// and wider than the 16-position block (and not a multiple of it), channel counts below, at and above
// the 8-channel register block, non-square kernels, two batch items.
TEST(vector_loops_conv_input_grad_direct_matches_reference_under_every_isa) {
  IsaScope scope;
  struct Case { int h, w, c, kh, kw, f; bool same; };
  const Case cases[] = {{24, 24, 3, 5, 5, 6, false}, {28, 28, 1, 5, 5, 3, false}, {7, 5, 2, 3, 3, 3, true},
                        {9, 17, 8, 3, 2, 4, true},   {6, 33, 10, 2, 3, 8, false}, {5, 16, 1, 1, 1, 1, false},
                        {12, 20, 9, 5, 5, 5, true}};
  for (const Case& k : cases) {
    auto g = make_conv_geometry(2, k.h, k.w, k.c, k.kh, k.kw, 1, 1, 1, 1, k.same);
    const size_t rows = size_t(2) * g.out_h * g.out_w, patch = size_t(k.kh) * k.kw * k.c;
    auto dz = random_vec(rows * k.f, 31 + k.c);
    auto w = random_vec(patch * k.f, 47 + k.f);
    const size_t in_n = size_t(2) * k.h * k.w * k.c;
    std::vector<float> want(in_n), via_cols(in_n, 0.0f), dcols(rows * patch);
    conv_input_grad_direct_ref(g, k.f, dz.data(), w.data(), want.data());
    for (size_t r = 0; r < rows; ++r)
      for (size_t p = 0; p < patch; ++p) {
        double s = 0;
        for (int f = 0; f < k.f; ++f) s += double(dz[r * k.f + f]) * w[p * k.f + f];
        dcols[r * patch + p] = float(s);
      }
    col2im_nhwc(g, dcols.data(), via_cols.data());
    const std::string shape = std::to_string(k.h) + "x" + std::to_string(k.w) + "x" + std::to_string(k.c) + " k" +
                              std::to_string(k.kh) + "x" + std::to_string(k.kw) + " f" + std::to_string(k.f);
    EXPECT_ARRAYS_CLOSE(want.data(), via_cols.data(), in_n, 1e-5, 1e-5, "reference vs col2im " + shape);
    for (Isa isa : cpu_isas()) {
      select_isa(isa);
      std::vector<float> dx(in_n, std::nanf(""));  // overwritten everywhere
      conv_input_grad_direct(g, k.f, dz.data(), w.data(), dx.data());
      EXPECT_ARRAYS_CLOSE(dx.data(), want.data(), in_n, 1e-5, 1e-5, std::string(isa_name(isa)) + " " + shape);
    }
  }
  auto strided = make_conv_geometry(1, 8, 8, 1, 3, 3, 2, 2, 1, 1, false);
  std::vector<float> dz(16, 1.0f), w(9, 1.0f), dx(64);
  EXPECT_THROWS(conv_input_grad_direct(strided, 1, dz.data(), w.data(), dx.data()));
}

// The direct forward product and weight gradient, as compiled for each ISA, against their plain
// references and against what they replace (im2col_transposed_nhwc with a double-precision product):
// valid and same padding, output rows narrower than, equal to and wider than the 16-position block,
// every filter count from 1 to 8, with and without bias and ReLU, accumulation.
TEST(vector_loops_conv_forward_and_weight_grad_direct_match_reference_under_every_isa) {
  IsaScope scope;
  struct Case { int h, w, c, kh, kw, f; bool same; };
  const Case cases[] = {{28, 28, 1, 5, 5, 3, false}, {24, 24, 3, 5, 5, 6, false}, {7, 5, 2, 3, 3, 1, true},
                        {9, 17, 8, 3, 2, 4, true},   {6, 33, 10, 2, 3, 8, false}, {5, 16, 1, 1, 1, 2, false},
                        {12, 20, 9, 5, 5, 5, true},  {4, 19, 3, 3, 3, 7, false}};
  for (const Case& k : cases) {
    auto g = make_conv_geometry(2, k.h, k.w, k.c, k.kh, k.kw, 1, 1, 1, 1, k.same);
    const size_t rows = size_t(2) * g.out_h * g.out_w, patch = size_t(k.kh) * k.kw * k.c;
    auto x = random_vec(size_t(2) * k.h * k.w * k.c, 13 + k.c);
    auto w = random_vec(patch * k.f, 17 + k.f);
    auto dz = random_vec(rows * k.f, 19 + k.f);
    auto bias = random_vec(size_t(k.f), 23 + k.f);
    std::vector<float> cols_t(patch * rows);
    im2col_transposed_nhwc(g, x.data(), cols_t.data(), rows);
    std::vector<float> y_cols(rows * k.f), dw_cols(patch * k.f);
    for (int f = 0; f < k.f; ++f)
      for (size_t r = 0; r < rows; ++r) {
        double s = bias[f];
        for (size_t p = 0; p < patch; ++p) s += double(w[p * k.f + f]) * cols_t[p * rows + r];
        y_cols[r * k.f + f] = float(s);
      }
    for (size_t p = 0; p < patch; ++p)
      for (int f = 0; f < k.f; ++f) {
        double s = 0;
        for (size_t r = 0; r < rows; ++r) s += double(cols_t[p * rows + r]) * dz[r * k.f + f];
        dw_cols[p * k.f + f] = float(s);
      }
    std::vector<float> y_want(rows * k.f), y_relu_want(rows * k.f), y_nobias_want(rows * k.f), dw_want(patch * k.f);
    conv_forward_direct_ref(g, k.f, x.data(), w.data(), bias.data(), false, y_want.data());
    conv_forward_direct_ref(g, k.f, x.data(), w.data(), bias.data(), true, y_relu_want.data());
    conv_forward_direct_ref(g, k.f, x.data(), w.data(), nullptr, false, y_nobias_want.data());
    for (size_t i = 0; i < y_want.size(); ++i) {
      EXPECT_TRUE(y_relu_want[i] == (y_want[i] > 0 ? y_want[i] : 0.0f));
      EXPECT_TRUE(std::fabs(y_nobias_want[i] + bias[i % k.f] - y_want[i]) <= 1e-5f * (1 + std::fabs(y_want[i])));
    }
    conv_weight_grad_direct_ref(g, k.f, x.data(), dz.data(), dw_want.data(), false);
    const std::string shape = std::to_string(k.h) + "x" + std::to_string(k.w) + "x" + std::to_string(k.c) + " k" +
                              std::to_string(k.kh) + "x" + std::to_string(k.kw) + " f" + std::to_string(k.f);
    EXPECT_ARRAYS_CLOSE(y_want.data(), y_cols.data(), y_want.size(), 1e-5, 1e-5, "forward ref vs im2col " + shape);
    EXPECT_ARRAYS_CLOSE(dw_want.data(), dw_cols.data(), dw_want.size(), 1e-4, 1e-5, "weight grad ref vs im2col " + shape);
    for (Isa isa : cpu_isas()) {
      select_isa(isa);
      const std::string what = std::string(isa_name(isa)) + " " + shape;
      std::vector<float> planes(2 * conv_direct_planes_floats(g), std::nanf(""));  // every float written
      conv_direct_planes(g, x.data(), planes.data());
      std::vector<float> y(rows * k.f + 3, 7.0f);  // the 3 floats past the output stay untouched
      conv_forward_direct(g, k.f, planes.data(), w.data(), bias.data(), false, y.data());
      EXPECT_ARRAYS_CLOSE(y.data(), y_want.data(), y_want.size(), 1e-5, 1e-5, "forward " + what);
      EXPECT_TRUE(y[rows * k.f] == 7.0f && y[rows * k.f + 2] == 7.0f);
      conv_forward_direct(g, k.f, planes.data(), w.data(), bias.data(), true, y.data());
      EXPECT_ARRAYS_CLOSE(y.data(), y_relu_want.data(), y_want.size(), 1e-5, 1e-5, "forward relu " + what);
      conv_forward_direct(g, k.f, planes.data(), w.data(), nullptr, false, y.data());
      EXPECT_ARRAYS_CLOSE(y.data(), y_nobias_want.data(), y_want.size(), 1e-5, 1e-5, "forward no bias " + what);
      std::vector<float> dw(patch * k.f, std::nanf(""));  // overwritten
      conv_weight_grad_direct(g, k.f, planes.data(), dz.data(), dw.data(), false);
      EXPECT_ARRAYS_CLOSE(dw.data(), dw_want.data(), dw.size(), 1e-4, 1e-5, "weight grad " + what);
      conv_weight_grad_direct(g, k.f, planes.data(), dz.data(), dw.data(), true);
      for (float& v : dw) v *= 0.5f;
      EXPECT_ARRAYS_CLOSE(dw.data(), dw_want.data(), dw.size(), 1e-4, 1e-5, "weight grad accumulated " + what);
    }
  }
  auto strided = make_conv_geometry(1, 8, 8, 1, 3, 3, 2, 2, 1, 1, false);
  std::vector<float> x(64, 1.0f), w(9 * 9, 1.0f), out(64 * 9);
  EXPECT_THROWS(conv_forward_direct(strided, 1, x.data(), w.data(), nullptr, false, out.data()));
  auto plain = make_conv_geometry(1, 8, 8, 1, 3, 3, 1, 1, 1, 1, false);
  EXPECT_THROWS(conv_forward_direct(plain, 9, x.data(), w.data(), nullptr, false, out.data()));
  EXPECT_THROWS(conv_weight_grad_direct(plain, 0, x.data(), x.data(), w.data(), false));
  EXPECT_THROWS(conv_direct_planes(strided, x.data(), out.data()));
}
