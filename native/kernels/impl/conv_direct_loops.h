// sconv_forward_direct and sconv_weight_grad_direct: the forward product and the weight gradient of a
// stride-1, undilated Conv2D with few filters, computed directly from zero-padded input planes instead
// of through a column matrix (im2col, then a GEMM whose M is the filter count). One source, compiled
// once per ISA (ref/, avx2/, avx512/ with their folders' flags) and dispatched through the kernel table.
//
// Contracts (kernels.h): x [batch, H, W, C] and dz [batch, OH, OW, F] are NHWC, w and dw are Keras's
// (kh, kw, in, out) kernel, tap t = (ky*KW + kx)*C + c.
//   forward:      y[b, oy, ox, f] = bias[f] + sum_t x[b, oy+ky-pt, ox+kx-pl, c] * w[t*F + f] (NHWC; bias
//                 may be null, read as 0), then max(y, 0) where relu is set
//   weight grad:  dw[t*F + f] (+)= sum over b, oy, ox of x[b, oy+ky-pt, ox+kx-pl, c] * dz[b, oy, ox, f]
//                 (overwritten, or added to with accumulate; examples summed in order)
// Padded cells read 0. Both read x as the zero-padded planes conv_direct_planes fills (kernels.h), which
// Conv2D keeps from forward to backward; `dzp` is scratch of F * OH * ow_pad floats and `sums` of
// KH * KW * C * F * 16.
//
// Method: x is copied into C zero-padded planes per item whose rows are ow_pad + KW - 1 long (ow_pad =
// OW rounded up to 16), so a 16-position block at any tap reads in bounds. Forward: per block of 16
// output positions in R rows (R x F <= 12 with AVX-512, else R = 1, see rows_at_once), the R x F sums
// (F <= 8: 8 zmm, 16 ymm, or 32 xmm that the baseline build spills) stay in registers over every tap,
// one load of x per tap and row shared by the filters, and are stored
// interleaved into the NHWC output with the bias (and ReLU) on the way; the last block of a row stores
// only its real positions. Weight gradient: dz is copied into F planes of ow_pad columns, zero
// past OW, and per group of T neighbouring taps (T = 1, 2 or 4, see taps_at_once) the T x F sums run
// over every row and block (T x loads and F dz loads per T x F multiply-adds) and are added, still 16
// wide, to the taps' sums for the whole batch, which are reduced across lanes into dw once at the end.
#pragma once
#include <cstddef>
#include <type_traits>

#include "kernels/kernels.h"

namespace cnn::kernels {

// Internal linkage: every ISA's file instantiates these templates with its own flags, and inline
// functions of one name would be merged by the linker into whichever ISA's copy came first.
namespace {
namespace direct_detail {

constexpr int kLanes = 16;
// See impl/conv_input_grad_loops.h: explicit vectors, because plain loops over acc[F][16] vectorised
// across the wrong axis.
typedef float Lanes __attribute__((vector_size(kLanes * sizeof(float))));
inline void load_lanes(Lanes& v, const float* p) { __builtin_memcpy(&v, p, sizeof v); }

struct Planes {
  int hp, pitch;  // padded rows per plane and floats per padded row
  size_t size;    // floats per plane
};

inline Planes x_planes_frame(const ConvGeometry& g) {
  const int ow_pad = (g.out_w + kLanes - 1) / kLanes * kLanes;
  Planes p{g.out_h + g.k_h - 1, ow_pad + g.k_w - 1, 0};
  p.size = size_t(p.hp) * p.pitch;
  return p;
}

// xp[c][py][px] = x[py - pt, px - pl, c] inside the image, else 0, for one batch item.
inline void fill_x_planes(const ConvGeometry& g, const Planes& p, const float* x, float* xp) {
  for (size_t i = 0; i < p.size * g.in_c; ++i) xp[i] = 0.0f;
  for (int iy = 0; iy < g.in_h; ++iy) {
    const int py = iy + g.pad_top;
    if (py >= p.hp) break;  // rows only "same" padding's far side would need
    for (int ix = 0; ix < g.in_w; ++ix) {
      const int px = ix + g.pad_left;
      if (px >= p.pitch) break;
      const float* src = x + (size_t(iy) * g.in_w + ix) * g.in_c;
      float* dst = xp + size_t(py) * p.pitch + px;
      for (int c = 0; c < g.in_c; ++c) dst[c * p.size] = src[c];
    }
  }
}

// Output rows oy .. oy+R-1, positions ox0 .. ox0+15: R x F sums in flight (3 filters alone were 3
// dependent multiply-add chains), the weight broadcasts shared by the rows. Every sum runs over the
// taps in the same order whatever R is.
template <int F, int R>
inline void forward_block(const ConvGeometry& g, const Planes& p, const float* xp, const float* w, const float* b,
                          bool relu, int oy, int ox0, float* y) {
  const int taps_c = g.in_c;
  Lanes acc[R][F];
  for (int r = 0; r < R; ++r)
    for (int f = 0; f < F; ++f) acc[r][f] = Lanes{};
  for (int c = 0; c < taps_c; ++c)
    for (int ky = 0; ky < g.k_h; ++ky) {
      const float* xrow = xp + c * p.size + size_t(oy + ky) * p.pitch + ox0;
      for (int kx = 0; kx < g.k_w; ++kx) {
        Lanes xv[R];
        for (int r = 0; r < R; ++r) load_lanes(xv[r], xrow + size_t(r) * p.pitch + kx);
        const float* wt = w + (size_t(ky * g.k_w + kx) * taps_c + c) * F;
        for (int f = 0; f < F; ++f) {
          const float wf = wt[f];
          for (int r = 0; r < R; ++r) acc[r][f] += wf * xv[r];
        }
      }
    }
  const int real = g.out_w - ox0 < kLanes ? g.out_w - ox0 : kLanes;
  for (int r = 0; r < R; ++r) {
    float* out = y + (size_t(oy + r) * g.out_w + ox0) * F;
    for (int l = 0; l < real; ++l)
      for (int f = 0; f < F; ++f) {
        const float v = acc[r][f][l] + b[f];
        out[l * F + f] = relu && !(v > 0.0f) ? 0.0f : v;
      }
  }
}

// Rows at once: with AVX-512's 32 registers up to 12 sums (4 rows for up to 3 filters, 2 for up to 6);
// otherwise one.
template <int F>
constexpr int rows_at_once() {
#if defined(__AVX512F__)
  return F <= 3 ? 4 : (F <= 6 ? 2 : 1);
#else
  return 1;
#endif
}

template <int F>
inline void forward_item(const ConvGeometry& g, const Planes& p, const float* xp, const float* w, const float* bias,
                         bool relu, float* y) {
  constexpr int R = rows_at_once<F>();
  float b[F];
  for (int f = 0; f < F; ++f) b[f] = bias ? bias[f] : 0.0f;
  int oy = 0;
  for (; oy + R <= g.out_h; oy += R)
    for (int ox0 = 0; ox0 < g.out_w; ox0 += kLanes) forward_block<F, R>(g, p, xp, w, b, relu, oy, ox0, y);
  for (; oy < g.out_h; ++oy)
    for (int ox0 = 0; ox0 < g.out_w; ox0 += kLanes) forward_block<F, 1>(g, p, xp, w, b, relu, oy, ox0, y);
}

// Taps (ky, kx .. kx+T-1) of channel c: T x F sums in flight, the dz loads shared by the T taps (one
// tap alone did F + 1 loads for F multiply-adds, bound by the load ports). Every sum runs over the rows
// and blocks in the same order whatever T is.
template <int F, int T>
inline void weight_grad_taps(const ConvGeometry& g, const Planes& p, const float* xp, const float* dzp, int ow_pad,
                             int c, int ky, int kx, Lanes* sums) {
  const size_t dz_plane = size_t(g.out_h) * ow_pad;
  Lanes acc[T][F];
  for (int t = 0; t < T; ++t)
    for (int f = 0; f < F; ++f) acc[t][f] = Lanes{};
  for (int oy = 0; oy < g.out_h; ++oy) {
    const float* xrow = xp + c * p.size + size_t(oy + ky) * p.pitch + kx;
    const float* drow = dzp + size_t(oy) * ow_pad;
    for (int ox0 = 0; ox0 < ow_pad; ox0 += kLanes) {
      Lanes xv[T];
      for (int t = 0; t < T; ++t) load_lanes(xv[t], xrow + ox0 + t);
      for (int f = 0; f < F; ++f) {
        Lanes dv;
        load_lanes(dv, drow + f * dz_plane + ox0);
        for (int t = 0; t < T; ++t) acc[t][f] += xv[t] * dv;
      }
    }
  }
  for (int t = 0; t < T; ++t) {
    Lanes* tap = sums + (size_t(ky * g.k_w + kx + t) * g.in_c + c) * F;
    for (int f = 0; f < F; ++f) tap[f] += acc[t][f];
  }
}

// Taps at once: with AVX-512's 32 registers up to 12 sums (four taps for up to 3 filters, two for up
// to 6); otherwise one.
template <int F>
constexpr int taps_at_once() {
#if defined(__AVX512F__)
  return F <= 3 ? 4 : (F <= 6 ? 2 : 1);
#else
  return 1;
#endif
}

template <int F>
inline void weight_grad_item(const ConvGeometry& g, const Planes& p, const float* xp, const float* dzp, int ow_pad,
                             Lanes* sums) {
  constexpr int T = taps_at_once<F>();
  for (int c = 0; c < g.in_c; ++c)
    for (int ky = 0; ky < g.k_h; ++ky) {
      int kx = 0;
      for (; kx + T <= g.k_w; kx += T) weight_grad_taps<F, T>(g, p, xp, dzp, ow_pad, c, ky, kx, sums);
      for (; kx < g.k_w; ++kx) weight_grad_taps<F, 1>(g, p, xp, dzp, ow_pad, c, ky, kx, sums);
    }
}

template <int F>
inline void forward_all(const ConvGeometry& g, const float* planes, const float* w, const float* bias, bool relu,
                        float* y) {
  const Planes p = x_planes_frame(g);
  const size_t out_item = size_t(g.out_h) * g.out_w * F;
  for (int b = 0; b < g.batch; ++b) forward_item<F>(g, p, planes + b * p.size * g.in_c, w, bias, relu, y + b * out_item);
}

template <int F>
inline void weight_grad_all(const ConvGeometry& g, const float* planes, const float* dz, float* dw, float* dzp,
                            float* sums_scratch) {
  const Planes p = x_planes_frame(g);
  const int ow_pad = p.pitch - g.k_w + 1;
  const size_t positions = size_t(g.out_h) * g.out_w, taps = size_t(g.k_h) * g.k_w * g.in_c;
  const size_t dz_plane = size_t(g.out_h) * ow_pad;
  Lanes* sums = reinterpret_cast<Lanes*>(sums_scratch);
  for (size_t i = 0; i < taps * F; ++i) sums[i] = Lanes{};
  for (size_t i = 0; i < dz_plane * F; ++i) dzp[i] = 0.0f;
  for (int b = 0; b < g.batch; ++b) {
    const float* dzb = dz + b * positions * F;
    for (int oy = 0; oy < g.out_h; ++oy)
      for (int ox = 0; ox < g.out_w; ++ox)
        for (int f = 0; f < F; ++f) dzp[f * dz_plane + size_t(oy) * ow_pad + ox] = dzb[(size_t(oy) * g.out_w + ox) * F + f];
    weight_grad_item<F>(g, p, planes + b * p.size * g.in_c, dzp, ow_pad, sums);
  }
  for (size_t i = 0; i < taps * F; ++i) {
    float s = 0.0f;
    for (int l = 0; l < kLanes; ++l) s += sums[i][l];
    dw[i] += s;
  }
}

// Calls fn(std::integral_constant<int, F>) for the filter count (1 to 8; the wrapper in dispatch.cc
// checks the range), so each loop is compiled with its sums' count known.
template <typename Fn>
inline void with_filters(int filters, Fn&& fn) {
  switch (filters) {
    case 1: return fn(std::integral_constant<int, 1>{});
    case 2: return fn(std::integral_constant<int, 2>{});
    case 3: return fn(std::integral_constant<int, 3>{});
    case 4: return fn(std::integral_constant<int, 4>{});
    case 5: return fn(std::integral_constant<int, 5>{});
    case 6: return fn(std::integral_constant<int, 6>{});
    case 7: return fn(std::integral_constant<int, 7>{});
    default: return fn(std::integral_constant<int, 8>{});
  }
}

}  // namespace direct_detail
}  // namespace

static void sconv_direct_planes_loop(const ConvGeometry& g, const float* x, float* planes) {
  using namespace direct_detail;
  const Planes p = x_planes_frame(g);
  const size_t in_item = size_t(g.in_h) * g.in_w * g.in_c;
  for (int b = 0; b < g.batch; ++b) fill_x_planes(g, p, x + b * in_item, planes + b * p.size * g.in_c);
}

static void sconv_forward_direct_loop(const ConvGeometry& g, int filters, const float* planes, const float* w,
                                      const float* bias, bool relu, float* y) {
  direct_detail::with_filters(filters, [&](auto f) { direct_detail::forward_all<decltype(f)::value>(g, planes, w, bias, relu, y); });
}

static void sconv_weight_grad_direct_loop(const ConvGeometry& g, int filters, const float* planes, const float* dz,
                                          float* dw, bool accumulate, float* dzp, float* sums) {
  if (!accumulate)
    for (size_t i = 0, n = size_t(g.k_h) * g.k_w * g.in_c * filters; i < n; ++i) dw[i] = 0.0f;
  direct_detail::with_filters(filters, [&](auto f) { direct_detail::weight_grad_all<decltype(f)::value>(g, planes, dz, dw, dzp, sums); });
}

}  // namespace cnn::kernels
