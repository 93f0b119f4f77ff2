// im2col_transposed_nhwc (the column matrix of Conv2D layers with few filters) against the transpose
// of im2col_nhwc, on strides, dilation, odd "same" padding and several examples.
#include <random>
#include <vector>

#include "kernels/kernels.h"
#include "tests/harness.h"

using namespace cnn::kernels;

TEST(im2col_transposed_is_the_transpose_of_im2col) {
  struct Case { int n, h, w, c, kh, kw, sh, sw, dh, dw; bool same; };
  const Case cases[] = {{3, 28, 28, 1, 5, 5, 1, 1, 1, 1, false}, {2, 24, 24, 3, 5, 5, 1, 1, 1, 1, false},
                        {2, 7, 6, 3, 3, 3, 2, 2, 1, 1, true},     {1, 8, 8, 2, 3, 3, 1, 1, 2, 2, true},
                        {2, 6, 7, 2, 2, 2, 2, 1, 1, 1, true},     {1, 9, 5, 4, 5, 3, 3, 2, 1, 1, true},
                        {2, 10, 9, 1, 3, 2, 2, 3, 2, 3, false},   {1, 5, 5, 3, 1, 1, 2, 2, 1, 1, true},
                        {1, 3, 3, 1, 5, 5, 1, 1, 1, 1, true}};
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  for (const Case& k : cases) {
    auto g = make_conv_geometry(k.n, k.h, k.w, k.c, k.kh, k.kw, k.sh, k.sw, k.dh, k.dw, k.same);
    std::vector<float> x(size_t(k.n) * k.h * k.w * k.c);
    for (auto& v : x) v = d(rng);
    const size_t rows = size_t(k.n) * g.out_h * g.out_w, patch = size_t(k.kh) * k.kw * k.c;
    std::vector<float> cols(rows * patch);
    im2col_nhwc(g, x.data(), cols.data());
    // A wider leading dimension than the rows, filled with a sentinel that must stay untouched.
    const size_t ld = rows + 3;
    std::vector<float> cols_t(patch * ld, 42.0f);
    im2col_transposed_nhwc(g, x.data(), cols_t.data(), ld);
    size_t mismatches = 0, clobbered = 0;
    for (size_t r = 0; r < rows; ++r)
      for (size_t p = 0; p < patch; ++p) mismatches += cols_t[p * ld + r] != cols[r * patch + p];
    for (size_t p = 0; p < patch; ++p)
      for (size_t r = rows; r < ld; ++r) clobbered += cols_t[p * ld + r] != 42.0f;
    EXPECT_EQ(mismatches, size_t(0));
    EXPECT_EQ(clobbered, size_t(0));
  }
}
