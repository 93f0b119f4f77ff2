// sconv_input_grad_direct: the input gradient of a stride-1, undilated Conv2D with few filters,
// computed directly instead of as dcols = dZ W^T (a GEMM whose K is the filter count) followed by
// col2im, which wrote and re-read a [positions, patch] matrix per example. One source, compiled once per
// ISA (ref/, avx2/, avx512/ with their folders' flags) and dispatched through the kernel table.
//
// Contract (kernels.h, conv_input_grad_direct): for each batch item,
//   dx[iy, ix, c] = sum over ky, kx, f of dz[iy + pt - ky, ix + pl - kx, f] * w[((ky*KW + kx)*C + c)*F + f]
// over the dz positions inside [0, OH) x [0, OW); dx [H, W, C] and dz [OH, OW, F] are NHWC, w is Keras's
// (kh, kw, in, out) kernel. dx is overwritten. `planes` is scratch of conv_input_grad_scratch_floats().
//
// Method: dz is copied into F zero-bordered planes [F][OH + 2(KH-1)][OW + 2(KW-1)], so every tap of
// every input position reads in bounds, and R input rows (R x CB <= 12 with AVX-512, else 1, see
// rows_at_once) are computed 16 positions at a time, with the sums for up to 8 input channels in
// registers (8 x 16 floats: 8 zmm, 16 ymm, or 32 xmm that the scalar build spills) and one load of dz per (tap, filter) shared by those channels. A row's last
// block starts at W - 16, overlapping the one before it and recomputing identical values, so no
// position needs a mask; rows narrower than 16 run a plain loop of the same order.
#pragma once
#include <cstddef>

#include "kernels/kernels.h"

namespace cnn::kernels {

// Internal linkage: every ISA's file instantiates these templates with its own flags, and inline
// functions of one name would be merged by the linker into whichever ISA's copy came first.
namespace {
namespace input_grad_detail {

constexpr int kLanes = 16;
constexpr int kMaxChannelBlock = 8;

struct Frame {
  int kh, kw, c, f;
  int qh, qw;          // zero-bordered plane height and width
  int off_y, off_x;    // pt + KH - 1 and pl + KW - 1: input (iy, ix) and tap (ky, kx) read plane
                       // row iy + off_y - ky, column ix + off_x - kx
};

// 16 floats as one value: a zmm with AVX-512, two ymm with AVX2, four xmm in the baseline build. Written
// with GCC/Clang vector extensions because plain loops over an acc[CB][16] array were vectorised across
// the channels instead (with permutes), 3x slower than the column matrix they replace.
typedef float Lanes __attribute__((vector_size(kLanes * sizeof(float))));

// By reference: a 64-byte vector returned by value changes the ABI between ISAs (GCC's -Wpsabi).
inline void load_lanes(Lanes& v, const float* p) { __builtin_memcpy(&v, p, sizeof v); }

// Channels c0 .. c0+CB of input positions (iy .. iy+R-1, ix0 .. ix0 + 15): R rows at once, so that
// R x CB sums are in flight (3 channels alone were 3 dependent chains of multiply-adds, a third of the
// FMA units' rate); the weight broadcasts are shared by the rows. Each sum runs over (ky, kx, f) in the
// same order whatever R is.
template <int CB, int R>
inline void block16(const Frame& fr, const float* planes, const float* w, int iy, int ix0, int c0, float* dx, int in_w) {
  Lanes acc[R][CB];
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < CB; ++c) acc[r][c] = Lanes{};
  const size_t plane = size_t(fr.qh) * fr.qw;
  for (int ky = 0; ky < fr.kh; ++ky)
    for (int kx = 0; kx < fr.kw; ++kx) {
      // dz row iy + pt - ky sits at plane row iy + off_y - ky; likewise the columns.
      const float* row = planes + size_t(iy + fr.off_y - ky) * fr.qw + (ix0 + fr.off_x - kx);
      const float* wt = w + size_t(ky * fr.kw + kx) * fr.c * fr.f + size_t(c0) * fr.f;
      for (int f = 0; f < fr.f; ++f) {
        Lanes dv[R];
        for (int r = 0; r < R; ++r) load_lanes(dv[r], row + f * plane + size_t(r) * fr.qw);
        for (int c = 0; c < CB; ++c) {
          const float wcf = wt[c * fr.f + f];
          for (int r = 0; r < R; ++r) acc[r][c] += wcf * dv[r];
        }
      }
    }
  for (int r = 0; r < R; ++r) {
    float* out = dx + (size_t(iy + r) * in_w + ix0) * fr.c + c0;
    for (int l = 0; l < kLanes; ++l)
      for (int c = 0; c < CB; ++c) out[size_t(l) * fr.c + c] = acc[r][c][l];
  }
}

// Rows computed at once for CB channels: with AVX-512's 32 registers up to 12 sums (and 4 rows); the
// other builds, whose 16 floats already take 2 or 4 registers, one row.
template <int CB>
constexpr int rows_at_once() {
#if defined(__AVX512F__)
  return 12 / CB < 1 ? 1 : (12 / CB > 4 ? 4 : 12 / CB);
#else
  return 1;
#endif
}

// One input position, the same sums in the same order (rows narrower than 16).
template <int CB>
inline void block1(const Frame& fr, const float* planes, const float* w, int iy, int ix, int c0, float* dx, int in_w) {
  float acc[CB] = {};
  const size_t plane = size_t(fr.qh) * fr.qw;
  for (int ky = 0; ky < fr.kh; ++ky)
    for (int kx = 0; kx < fr.kw; ++kx) {
      const float* row = planes + size_t(iy + fr.off_y - ky) * fr.qw + (ix + fr.off_x - kx);
      const float* wt = w + size_t(ky * fr.kw + kx) * fr.c * fr.f + size_t(c0) * fr.f;
      for (int f = 0; f < fr.f; ++f)
        for (int c = 0; c < CB; ++c) acc[c] += wt[c * fr.f + f] * row[f * plane];
    }
  float* out = dx + (size_t(iy) * in_w + ix) * fr.c + c0;
  for (int c = 0; c < CB; ++c) out[c] = acc[c];
}

// R input rows from iy, channels c0 .. c0+CB.
template <int CB, int R>
inline void rows(const Frame& fr, const float* planes, const float* w, int iy, int c0, float* dx, int in_w) {
  if (in_w < kLanes) {
    // Narrow rows: one position at a time, the same sums in the same order.
    for (int r = 0; r < R; ++r)
      for (int ix = 0; ix < in_w; ++ix) block1<CB>(fr, planes, w, iy + r, ix, c0, dx, in_w);
    return;
  }
  for (int ix0 = 0;; ix0 += kLanes) {
    if (ix0 > in_w - kLanes) ix0 = in_w - kLanes;
    block16<CB, R>(fr, planes, w, iy, ix0, c0, dx, in_w);
    if (ix0 == in_w - kLanes) break;
  }
}

template <int CB>
inline void rows_for_block(const Frame& fr, const float* planes, const float* w, int c0, float* dx, int in_h,
                           int in_w) {
  constexpr int R = rows_at_once<CB>();
  int iy = 0;
  for (; iy + R <= in_h; iy += R) rows<CB, R>(fr, planes, w, iy, c0, dx, in_w);
  for (; iy < in_h; ++iy) rows<CB, 1>(fr, planes, w, iy, c0, dx, in_w);
}

}  // namespace input_grad_detail
}  // namespace

static void sconv_input_grad_direct_loop(const ConvGeometry& g, int filters, const float* dz, const float* w,
                                         float* dx, float* planes) {
  using namespace input_grad_detail;
  Frame fr{g.k_h, g.k_w, g.in_c, filters, g.out_h + 2 * (g.k_h - 1), g.out_w + 2 * (g.k_w - 1),
           g.pad_top + g.k_h - 1, g.pad_left + g.k_w - 1};
  const size_t plane = size_t(fr.qh) * fr.qw;
  const size_t positions = size_t(g.out_h) * g.out_w;
  const size_t in_item = size_t(g.in_h) * g.in_w * g.in_c;
  for (size_t i = 0; i < plane * filters; ++i) planes[i] = 0.0f;
  for (int b = 0; b < g.batch; ++b) {
    const float* dzb = dz + size_t(b) * positions * filters;
    for (int oy = 0; oy < g.out_h; ++oy)
      for (int ox = 0; ox < g.out_w; ++ox) {
        const float* src = dzb + (size_t(oy) * g.out_w + ox) * filters;
        float* dst = planes + size_t(oy + g.k_h - 1) * fr.qw + (ox + g.k_w - 1);
        for (int f = 0; f < filters; ++f) dst[f * plane] = src[f];
      }
    float* dxb = dx + size_t(b) * in_item;
    for (int c0 = 0; c0 < g.in_c; c0 += kMaxChannelBlock) {
      switch (g.in_c - c0 < kMaxChannelBlock ? g.in_c - c0 : kMaxChannelBlock) {
        case 1: rows_for_block<1>(fr, planes, w, c0, dxb, g.in_h, g.in_w); break;
        case 2: rows_for_block<2>(fr, planes, w, c0, dxb, g.in_h, g.in_w); break;
        case 3: rows_for_block<3>(fr, planes, w, c0, dxb, g.in_h, g.in_w); break;
        case 4: rows_for_block<4>(fr, planes, w, c0, dxb, g.in_h, g.in_w); break;
        case 5: rows_for_block<5>(fr, planes, w, c0, dxb, g.in_h, g.in_w); break;
        case 6: rows_for_block<6>(fr, planes, w, c0, dxb, g.in_h, g.in_w); break;
        case 7: rows_for_block<7>(fr, planes, w, c0, dxb, g.in_h, g.in_w); break;
        default: rows_for_block<8>(fr, planes, w, c0, dxb, g.in_h, g.in_w); break;
      }
    }
  }
}

}  // namespace cnn::kernels
