// libFuzzer target: convolution and pooling geometry from arbitrary 32-bit numbers, then (when the
// buffers are small) im2col/col2im and the pooling kernels under every ISA the CPU has, checked against
// plain loops with 64-bit coordinates. The contract: make_*_geometry returns a geometry whose every
// index fits in int32, or throws cnn::Error; the kernels never read or write outside their buffers
// (ASan) and agree with the references.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "core/error.h"
#include "kernels/kernels.h"

namespace {

using cnn::kernels::ConvGeometry;
using cnn::kernels::PoolGeometry;

constexpr int64_t kMaxFloats = int64_t(1) << 16;  // buffers the target is willing to fill

// Mostly small values (where the kernels run), sometimes anything a 32-bit int holds.
int pick(FuzzedDataProvider& in, int small_max) {
  switch (in.ConsumeIntegralInRange(0, 7)) {
    case 0:
      return in.ConsumeIntegral<int>();
    case 1:
      return in.PickValueInArray({INT_MAX, INT_MAX - 1, INT_MIN, 0, -1, 1 << 30, 46341, 65536});
    default:
      return in.ConsumeIntegralInRange(1, small_max);
  }
}

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_geometry: %s\n", what);
  std::abort();
}

void check_conv_invariants(const ConvGeometry& g) {
  auto axis = [](int64_t in, int64_t k, int64_t s, int64_t d, int64_t pad, int64_t out) {
    if (out < 1 || pad < 0) fail("empty output or negative padding returned");
    if ((out - 1) * s + (k - 1) * d + 1 > INT_MAX) fail("a window index passes int32");
    if (pad > (out - 1) * s + (k - 1) * d + 1) fail("padding larger than the span");
    (void)in;
  };
  axis(g.in_h, g.k_h, g.stride_h, g.dil_h, g.pad_top, g.out_h);
  axis(g.in_w, g.k_w, g.stride_w, g.dil_w, g.pad_left, g.out_w);
}

// im2col with 64-bit coordinates, the definition the kernels implement.
void im2col_reference(const ConvGeometry& g, const float* x, std::vector<float>& cols) {
  size_t i = 0;
  for (int64_t oy = 0; oy < g.out_h; ++oy)
    for (int64_t ox = 0; ox < g.out_w; ++ox)
      for (int64_t ky = 0; ky < g.k_h; ++ky)
        for (int64_t kx = 0; kx < g.k_w; ++kx)
          for (int64_t c = 0; c < g.in_c; ++c) {
            int64_t iy = oy * g.stride_h - g.pad_top + ky * g.dil_h, ix = ox * g.stride_w - g.pad_left + kx * g.dil_w;
            bool inside = iy >= 0 && iy < g.in_h && ix >= 0 && ix < g.in_w;
            cols[i++] = inside ? x[(iy * g.in_w + ix) * g.in_c + c] : 0.0f;
          }
}

void run_conv(FuzzedDataProvider& in) {
  int h = pick(in, 12), w = pick(in, 12), c = pick(in, 4), kh = pick(in, 6), kw = pick(in, 6);
  int sh = pick(in, 4), sw = pick(in, 4), dh = pick(in, 4), dw = pick(in, 4);
  bool same = in.ConsumeBool();
  ConvGeometry g;
  try {
    g = cnn::kernels::make_conv_geometry(1, h, w, c, kh, kw, sh, sw, dh, dw, same);
  } catch (const cnn::Error&) {
    return;
  }
  check_conv_invariants(g);
  int64_t in_size = int64_t(g.in_h) * g.in_w * g.in_c;
  int64_t rows = int64_t(g.out_h) * g.out_w, patch = int64_t(g.k_h) * g.k_w * g.in_c;
  if (in_size > kMaxFloats || rows * patch > kMaxFloats) return;
  std::vector<float> x(static_cast<size_t>(in_size));
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(i % 13) - 6.0f;
  std::vector<float> want(static_cast<size_t>(rows * patch)), got(want.size()), cols_t(want.size()), dx(x.size());
  im2col_reference(g, x.data(), want);
  for (auto isa : cnn::kernels::cpu_isas()) {
    cnn::kernels::select_isa(isa);
    cnn::kernels::im2col_nhwc(g, x.data(), got.data());
    if (got != want) fail("im2col_nhwc differs from the reference");
    cnn::kernels::im2col_transposed_nhwc(g, x.data(), cols_t.data(), size_t(rows));
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t k = 0; k < patch; ++k)
        if (cols_t[size_t(k * rows + r)] != want[size_t(r * patch + k)]) fail("im2col_transposed_nhwc differs");
    cnn::kernels::col2im_nhwc(g, want.data(), dx.data());
  }
}

void run_pool(FuzzedDataProvider& in) {
  int h = pick(in, 12), w = pick(in, 12), c = pick(in, 4), ph = pick(in, 5), pw = pick(in, 5);
  int sh = pick(in, 4), sw = pick(in, 4);
  bool same = in.ConsumeBool();
  PoolGeometry g;
  try {
    g = cnn::kernels::make_pool_geometry(1, h, w, c, ph, pw, sh, sw, same);
  } catch (const cnn::Error&) {
    return;
  }
  if (g.out_h < 1 || g.out_w < 1 || g.pad_top < 0 || g.pad_left < 0) fail("bad pool geometry returned");
  if ((int64_t(g.out_h) - 1) * g.stride_h + g.pool_h > INT_MAX) fail("a pool window index passes int32");
  int64_t in_size = int64_t(g.in_h) * g.in_w * g.c, out_size = int64_t(g.out_h) * g.out_w * g.c;
  if (in_size > kMaxFloats || out_size > kMaxFloats) return;
  // Huge "same" windows are legitimate but cost out x in reads: keep each run short.
  int64_t cells = int64_t(std::min(g.pool_h, g.in_h)) * std::min(g.pool_w, g.in_w);
  if (out_size * cells > (int64_t(1) << 22)) return;
  // Windows entirely in the padding would divide by zero in the average: Keras's geometry never makes
  // one, and neither may ours.
  std::vector<float> x(static_cast<size_t>(in_size)), y(static_cast<size_t>(out_size)), want(y.size()), dx(x.size()),
      dy(y.size(), 1.0f);
  for (size_t i = 0; i < x.size(); ++i) x[i] = float((i * 7) % 11) - 5.0f;
  std::vector<int32_t> arg(y.size()), want_arg(y.size());
  cnn::kernels::maxpool_forward_ref(g, x.data(), want.data(), want_arg.data());
  for (float v : want)
    if (!(v > -1e30f)) fail("a max-pool window holds no real cell");
  for (int32_t a : want_arg)
    if (a < 0 || a >= in_size) fail("argmax outside the input");
  for (auto isa : cnn::kernels::cpu_isas()) {
    cnn::kernels::select_isa(isa);
    cnn::kernels::maxpool_forward(g, x.data(), y.data(), arg.data());
    if (y != want || arg != want_arg) fail("maxpool_forward differs from the reference");
    cnn::kernels::maxpool_backward(g, dy.data(), arg.data(), dx.data());
    cnn::kernels::avgpool_forward(g, x.data(), y.data());
    for (float v : y)
      if (!std::isfinite(v)) fail("avgpool_forward produced a non-finite value");
    cnn::kernels::avgpool_backward(g, dy.data(), dx.data());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  if (in.ConsumeBool())
    run_conv(in);
  else
    run_pool(in);
  return 0;
}
