// Loop bodies that vectorise well, compiled once per ISA: ref/vector_loops_ref.cc (baseline flags),
// avx2/vector_loops__avx2.cc and avx512/vector_loops__avx512.cc (their own flags) each include this
// file and register their copies in the kernel table, so CNN_ISA picks which one runs.
// The functions are `static` (one private copy per translation unit) and use no std:: templates: an
// inline template instantiated under -mavx512f could otherwise be shared with, and called from, the
// baseline code on a CPU without AVX-512.
//
// Contracts (NHWC, float32):
//   maxpool_forward_loop: as kernels::maxpool_forward (padded cells never win; the first strictly
//     larger value in window order wins; argmax is the flat index within the batch item). Channel
//     counts that are a multiple of 16 keep 16 maxima and indices in registers.
//   maxpool_backward_loop: as kernels::maxpool_backward (dx zeroed, then dy added at every argmax in
//     output order), bit for bit; channel counts that are a multiple of 16 add 16 at a time.
//   im2col_transposed_loop: cols_t[(tap*c + ci)*ld + b*positions + pos] (see kernels.h); `planes` is
//     scratch of in_h*in_w*in_c floats, used when in_c > 1.
//   swish_forward_loop / swish_backward_loop: y = z*sigmoid(z); g *= s + z*s*(1-s), with exp from a
//     branch-free polynomial (Cephes, within 2 ulp of expf) so the loops vectorise.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/kernels.h"

namespace cnn::kernels {

namespace pool_detail {
// 16 channels as one value (a zmm, two ymm, four xmm), GCC/Clang vector extensions: the chunked loop
// below kept its running maxima in stack arrays, which made max pooling cost more than the convolution
// before it (fashion-mnist.json: 7.8 us per 26x26x32 image).
typedef float Floats16 __attribute__((vector_size(64)));
typedef int32_t Ints16 __attribute__((vector_size(64)));

// Channels a multiple of 16: each window's maxima and their indices in registers, 16 channels at a time.
inline void maxpool_forward_c16(const PoolGeometry& g, const float* x, float* y, int32_t* argmax) {
  const size_t plane = size_t(g.in_h) * g.in_w * g.c;
  const int c = g.c;
  Ints16 lane;
  for (int l = 0; l < 16; ++l) lane[l] = l;
  for (int b = 0; b < g.batch; ++b) {
    const float* img = x + b * plane;
    for (int oy = 0; oy < g.out_h; ++oy) {
      const int ys = oy * g.stride_h - g.pad_top, y0 = ys > 0 ? ys : 0, y1 = ys + g.pool_h < g.in_h ? ys + g.pool_h : g.in_h;
      for (int ox = 0; ox < g.out_w; ++ox) {
        const int xs = ox * g.stride_w - g.pad_left, x0 = xs > 0 ? xs : 0,
                  x1 = xs + g.pool_w < g.in_w ? xs + g.pool_w : g.in_w;
        const size_t o = ((size_t(b) * g.out_h + oy) * g.out_w + ox) * c;
        for (int c0 = 0; c0 < c; c0 += 16) {
          Floats16 best = Floats16{} - __builtin_inff();
          Ints16 where = lane + int32_t((size_t(y0) * g.in_w + x0) * c + c0);
          for (int iy = y0; iy < y1; ++iy)
            for (int ix = x0; ix < x1; ++ix) {
              const int32_t base = int32_t((size_t(iy) * g.in_w + ix) * c + c0);
              Floats16 v;
              __builtin_memcpy(&v, img + base, sizeof v);
              const Ints16 larger = v > best;  // all ones where strictly larger: the first maximum wins
              where = (where & ~larger) | ((lane + base) & larger);
              best = (Floats16)(((Ints16)best & ~larger) | ((Ints16)v & larger));
            }
          __builtin_memcpy(y + o + c0, &best, sizeof best);
          __builtin_memcpy(argmax + o + c0, &where, sizeof where);
        }
      }
    }
  }
}

// The same sums as maxpool_backward_ref with 16 channels at a time, bit for bit. Windows that do not
// overlap (stride >= pool) give every dx at most one term, so each window cell is written once with
// 0 + (dy where the argmax names it, else 0) (0 + -0 is +0, as the reference's sum gives), and dx is
// zeroed first only when the windows leave cells uncovered. Overlapping windows add, per output and
// cell, dy where the argmax names the cell and +0 elsewhere, in output order (x + 0 is x: dx starts
// at +0).
inline void maxpool_backward_c16(const PoolGeometry& g, const float* dy, const int32_t* argmax, float* dx) {
  const size_t plane = size_t(g.in_h) * g.in_w * g.c;
  const int c = g.c;
  const bool disjoint = g.stride_h >= g.pool_h && g.stride_w >= g.pool_w;
  const bool covered = g.stride_h == g.pool_h && g.stride_w == g.pool_w &&
                       int64_t(g.out_h) * g.stride_h - g.pad_top >= g.in_h &&
                       int64_t(g.out_w) * g.stride_w - g.pad_left >= g.in_w;
  Ints16 lane;
  for (int l = 0; l < 16; ++l) lane[l] = l;
  for (int b = 0; b < g.batch; ++b) {
    float* img = dx + b * plane;
    if (!covered)
      for (size_t i = 0; i < plane; ++i) img[i] = 0.0f;
    for (int oy = 0; oy < g.out_h; ++oy) {
      const int ys = oy * g.stride_h - g.pad_top, y0 = ys > 0 ? ys : 0, y1 = ys + g.pool_h < g.in_h ? ys + g.pool_h : g.in_h;
      for (int ox = 0; ox < g.out_w; ++ox) {
        const int xs = ox * g.stride_w - g.pad_left, x0 = xs > 0 ? xs : 0,
                  x1 = xs + g.pool_w < g.in_w ? xs + g.pool_w : g.in_w;
        const size_t o = ((size_t(b) * g.out_h + oy) * g.out_w + ox) * c;
        for (int c0 = 0; c0 < c; c0 += 16) {
          Ints16 where, d;
          __builtin_memcpy(&where, argmax + o + c0, sizeof where);
          __builtin_memcpy(&d, dy + o + c0, sizeof d);
          for (int iy = y0; iy < y1; ++iy)
            for (int ix = x0; ix < x1; ++ix) {
              const int32_t base = int32_t((size_t(iy) * g.in_w + ix) * c + c0);
              const Floats16 term = (Floats16)(d & (where == lane + base));
              Floats16 v = Floats16{};
              if (!disjoint) __builtin_memcpy(&v, img + base, sizeof v);
              v += term;
              __builtin_memcpy(img + base, &v, sizeof v);
            }
        }
      }
    }
  }
}
}  // namespace pool_detail

static void maxpool_backward_loop(const PoolGeometry& g, const float* dy, const int32_t* argmax, float* dx) {
  if (g.c % 16 == 0) return pool_detail::maxpool_backward_c16(g, dy, argmax, dx);
  const size_t plane = size_t(g.in_h) * g.in_w * g.c, out_plane = size_t(g.out_h) * g.out_w * g.c;
  for (size_t i = 0; i < plane * g.batch; ++i) dx[i] = 0.0f;
  for (int b = 0; b < g.batch; ++b)
    for (size_t o = 0; o < out_plane; ++o) dx[b * plane + argmax[b * out_plane + o]] += dy[b * out_plane + o];
}

static void maxpool_forward_loop(const PoolGeometry& g, const float* x, float* y, int32_t* argmax) {
  if (g.c % 16 == 0) return pool_detail::maxpool_forward_c16(g, x, y, argmax);
  const size_t plane = size_t(g.in_h) * g.in_w * g.c;
  const int c = g.c;
  constexpr int kChunk = 64;
  for (int b = 0; b < g.batch; ++b) {
    const float* img = x + b * plane;
    for (int oy = 0; oy < g.out_h; ++oy) {
      const int ys = oy * g.stride_h - g.pad_top, y0 = ys > 0 ? ys : 0, y1 = ys + g.pool_h < g.in_h ? ys + g.pool_h : g.in_h;
      for (int ox = 0; ox < g.out_w; ++ox) {
        const int xs = ox * g.stride_w - g.pad_left, x0 = xs > 0 ? xs : 0,
                  x1 = xs + g.pool_w < g.in_w ? xs + g.pool_w : g.in_w;
        const size_t o = ((size_t(b) * g.out_h + oy) * g.out_w + ox) * c;
        // Channels innermost (contiguous in NHWC), in chunks held in locals: the compare-and-select
        // vectorises.
        for (int c0 = 0; c0 < c; c0 += kChunk) {
          const int cn = c - c0 < kChunk ? c - c0 : kChunk;
          float best[kChunk];
          int32_t where[kChunk];
          const int32_t first = int32_t((size_t(y0) * g.in_w + x0) * c + c0);
          for (int ch = 0; ch < cn; ++ch) {
            best[ch] = -__builtin_inff();
            where[ch] = first + ch;
          }
          for (int iy = y0; iy < y1; ++iy)
            for (int ix = x0; ix < x1; ++ix) {
              const int32_t base = int32_t((size_t(iy) * g.in_w + ix) * c + c0);
              const float* px = img + base;
              for (int ch = 0; ch < cn; ++ch) {
                const int32_t larger = -int32_t(px[ch] > best[ch]);
                where[ch] = (where[ch] & ~larger) | ((base + ch) & larger);
                best[ch] = px[ch] > best[ch] ? px[ch] : best[ch];
              }
            }
          for (int ch = 0; ch < cn; ++ch) {
            y[o + c0 + ch] = best[ch];
            argmax[o + c0 + ch] = where[ch];
          }
        }
      }
    }
  }
}

static void im2col_transposed_loop(const ConvGeometry& g, const float* x, float* cols_t, size_t ld, float* planes) {
  const size_t c = size_t(g.in_c);
  const size_t positions = size_t(g.out_h) * g.out_w;
  const size_t plane = size_t(g.in_h) * g.in_w;
  for (int b = 0; b < g.batch; ++b) {
    const float* img = x + size_t(b) * plane * c;
    // Channels are split into planes first, so each output row reads a contiguous (stride 1) or
    // evenly strided run of one plane instead of gathering every c-th float.
    const float* src_planes = img;
    if (c > 1) {
      for (size_t p = 0; p < plane; ++p)
        for (size_t ci = 0; ci < c; ++ci) planes[ci * plane + p] = img[p * c + ci];
      src_planes = planes;
    }
    for (int ky = 0; ky < g.k_h; ++ky)
      for (int kx = 0; kx < g.k_w; ++kx) {
        // The output columns whose tap (ky, kx) falls inside the image: ox_lo <= ox < ox_hi.
        const int shift = kx * g.dil_w - g.pad_left;
        int ox_lo = 0, ox_hi = g.out_w;
        while (ox_lo < g.out_w && ox_lo * g.stride_w + shift < 0) ++ox_lo;
        while (ox_hi > ox_lo && (ox_hi - 1) * g.stride_w + shift >= g.in_w) --ox_hi;
        for (size_t ci = 0; ci < c; ++ci) {
          float* dst = cols_t + ((size_t(ky) * g.k_w + kx) * c + ci) * ld + size_t(b) * positions;
          for (int oy = 0; oy < g.out_h; ++oy, dst += g.out_w) {
            const int iy = oy * g.stride_h - g.pad_top + ky * g.dil_h;
            if (iy < 0 || iy >= g.in_h) {
              for (int ox = 0; ox < g.out_w; ++ox) dst[ox] = 0.0f;
              continue;
            }
            const float* src = src_planes + ci * plane + size_t(iy) * g.in_w;
            for (int ox = 0; ox < ox_lo; ++ox) dst[ox] = 0.0f;
            if (g.stride_w == 1) {
              const float* run = src + shift;
              for (int ox = ox_lo; ox < ox_hi; ++ox) dst[ox] = run[ox];
            } else {
              for (int ox = ox_lo; ox < ox_hi; ++ox) dst[ox] = src[ox * g.stride_w + shift];
            }
            for (int ox = ox_hi; ox < g.out_w; ++ox) dst[ox] = 0.0f;
          }
        }
      }
  }
}

static inline float exp_vectorisable(float x) {
  // Ternaries rather than min/max calls: those kept the loops scalar. Written so that NaN fails the
  // first comparison and becomes -87: int32_t(NaN) below would be undefined (the callers' results stay
  // NaN through their own factor of z).
  x = x > -87.0f ? x : -87.0f;
  x = x < 88.0f ? x : 88.0f;
  const float magic = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  float n = (x * 1.44269504088896341f + magic) - magic;
  float r = x - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  int32_t bits = (int32_t(n) + 127) << 23;
  return p * __builtin_bit_cast(float, bits);
}

static void swish_forward_loop(const float* __restrict z, float* __restrict y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = z[i] * (1.0f / (1.0f + exp_vectorisable(-z[i])));
}

static void swish_backward_loop(const float* __restrict z, float* __restrict g, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const float s = 1.0f / (1.0f + exp_vectorisable(-z[i]));
    g[i] *= s + z[i] * s * (1.0f - s);
  }
}

}  // namespace cnn::kernels
