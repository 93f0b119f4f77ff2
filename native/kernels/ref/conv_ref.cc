// Convolution geometry (Keras's padding rules) and im2col/col2im for NHWC. Channel runs are contiguous
// in both the image and the column matrix, so each (kh, kw) tap copies in_c floats at once.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "core/checked.h"
#include "core/error.h"
#include "kernels/kernels.h"

// GCC turns the short copy loops below back into memcpy/memset calls, and for runs of 3 to 15 floats
// the call costs more than the copy (a profile of mnist.json had memmove at 17% of training time).
#pragma GCC optimize("no-tree-loop-distribute-patterns")

namespace cnn::kernels {

namespace {
// Keras: valid out = floor((in - eff)/s) + 1; same out = ceil(in/s), total pad split with the odd pixel last.
// Computed in 64 bits: the kernels index pixels with int (oy*s - pad + ky*d), so the geometry is refused
// unless the farthest index a window reaches, (out-1)*s + eff, fits in int32.
void window(const char* axis, int64_t in, int64_t k, int64_t s, int64_t d, bool same, int& out, int& before) {
  const int64_t eff = (k - 1) * d + 1;  // k, d < 2^31: at most ~2^62
  if (eff > kMaxInt32)
    throw Error(kErrInvalidArgument, std::string("the kernel's ") + axis + " extent (" + std::to_string(k) +
                                         " - 1) x dilation " + std::to_string(d) + " + 1 = " + std::to_string(eff) +
                                         " exceeds " + std::to_string(kMaxInt32));
  int64_t o, pad = 0;
  if (same) {
    o = (in + s - 1) / s;
    pad = std::max<int64_t>(0, (o - 1) * s + eff - in) / 2;
  } else {
    o = in >= eff ? (in - eff) / s + 1 : 0;
  }
  if (o >= 1 && (o - 1) * s + eff > kMaxInt32)
    throw Error(kErrInvalidArgument, std::string("the convolution's ") + axis + " windows reach index " +
                                         std::to_string((o - 1) * s + eff) + ", beyond " + std::to_string(kMaxInt32));
  out = int(o);
  before = int(pad);
}
}  // namespace

ConvGeometry make_conv_geometry(int batch, int in_h, int in_w, int in_c, int k_h, int k_w, int stride_h, int stride_w,
                                int dil_h, int dil_w, bool padding_same) {
  CNN_CHECK(batch >= 0 && in_h >= 1 && in_w >= 1 && in_c >= 1, "conv input dimensions must be positive");
  CNN_CHECK(k_h >= 1 && k_w >= 1 && stride_h >= 1 && stride_w >= 1 && dil_h >= 1 && dil_w >= 1,
            "kernel size, strides and dilation must be positive");
  checked_mul(checked_mul(in_h, in_w, kMaxInt32, "the input's height x width"), in_c, kMaxInt32,
              "the input's size per example");
  checked_mul(checked_mul(k_h, k_w, kMaxInt32, "the kernel's height x width"), in_c, kMaxInt32,
              "the kernel's patch (height x width x channels)");
  ConvGeometry g{batch, in_h, in_w, in_c, k_h, k_w, stride_h, stride_w, dil_h, dil_w, 0, 0, 0, 0};
  window("height", in_h, k_h, stride_h, dil_h, padding_same, g.out_h, g.pad_top);
  window("width", in_w, k_w, stride_w, dil_w, padding_same, g.out_w, g.pad_left);
  if (g.out_h < 1 || g.out_w < 1)
    throw Error(kErrInvalidArgument, "the kernel (" + std::to_string(k_h) + "x" + std::to_string(k_w) +
                                         ", dilation " + std::to_string(dil_h) + "x" + std::to_string(dil_w) +
                                         ") is larger than the input (" + std::to_string(in_h) + "x" +
                                         std::to_string(in_w) + ")");
  checked_mul(g.out_h, g.out_w, kMaxInt32, "the output's height x width");
  return g;
}

namespace {

// Short runs (one channel, a 3-tap row of a 1-channel image) are copied inline: a memcpy call
// costs more than the copy.
inline void copy_run(float* dst, const float* src, size_t n) {
  if (n >= 16)
    std::memcpy(dst, src, sizeof(float) * n);
  else
    for (size_t i = 0; i < n; ++i) dst[i] = src[i];
}

inline void add_run(float* dst, const float* src, size_t n) {
  for (size_t i = 0; i < n; ++i) dst[i] += src[i];
}

}  // namespace

void im2col_nhwc(const ConvGeometry& g, const float* x, float* cols) {
  const size_t c = size_t(g.in_c);
  const size_t tap_row = size_t(g.k_w) * c;  // one kernel row of a column: k_w taps of c channels
  float* out = cols;
  for (int b = 0; b < g.batch; ++b) {
    const float* img = x + size_t(b) * g.in_h * g.in_w * c;
    for (int oy = 0; oy < g.out_h; ++oy) {
      for (int ox = 0; ox < g.out_w; ++ox) {
        const int ix0 = ox * g.stride_w - g.pad_left;
        // With no dilation, a kernel row lying inside the image is one contiguous run of k_w*c floats.
        const bool row_inside = g.dil_w == 1 && ix0 >= 0 && ix0 + g.k_w <= g.in_w;
        for (int ky = 0; ky < g.k_h; ++ky, out += tap_row) {
          const int iy = oy * g.stride_h - g.pad_top + ky * g.dil_h;
          if (iy < 0 || iy >= g.in_h) {
            std::fill(out, out + tap_row, 0.0f);
            continue;
          }
          const float* src_row = img + size_t(iy) * g.in_w * c;
          if (row_inside) {
            copy_run(out, src_row + size_t(ix0) * c, tap_row);
            continue;
          }
          for (int kx = 0; kx < g.k_w; ++kx) {
            const int ix = ix0 + kx * g.dil_w;
            float* dst = out + size_t(kx) * c;
            if (ix < 0 || ix >= g.in_w)
              std::fill(dst, dst + c, 0.0f);
            else
              copy_run(dst, src_row + size_t(ix) * c, c);
          }
        }
      }
    }
  }
}

void col2im_nhwc(const ConvGeometry& g, const float* cols, float* dx) {
  const size_t c = size_t(g.in_c);
  const size_t tap_row = size_t(g.k_w) * c;
  std::memset(dx, 0, sizeof(float) * size_t(g.batch) * g.in_h * g.in_w * c);
  const float* in = cols;
  for (int b = 0; b < g.batch; ++b) {
    float* img = dx + size_t(b) * g.in_h * g.in_w * c;
    for (int oy = 0; oy < g.out_h; ++oy) {
      for (int ox = 0; ox < g.out_w; ++ox) {
        const int ix0 = ox * g.stride_w - g.pad_left;
        const bool row_inside = g.dil_w == 1 && ix0 >= 0 && ix0 + g.k_w <= g.in_w;
        for (int ky = 0; ky < g.k_h; ++ky, in += tap_row) {
          const int iy = oy * g.stride_h - g.pad_top + ky * g.dil_h;
          if (iy < 0 || iy >= g.in_h) continue;
          float* dst_row = img + size_t(iy) * g.in_w * c;
          if (row_inside) {
            add_run(dst_row + size_t(ix0) * c, in, tap_row);
            continue;
          }
          for (int kx = 0; kx < g.k_w; ++kx) {
            const int ix = ix0 + kx * g.dil_w;
            if (ix >= 0 && ix < g.in_w) add_run(dst_row + size_t(ix) * c, in + size_t(kx) * c, c);
          }
        }
      }
    }
  }
}

// The definition, one product at a time (the direct loops of impl/conv_input_grad_loops.h are tested
// against it). Positions are computed in 64 bits; the geometry bounds them already.
void conv_input_grad_direct_ref(const ConvGeometry& g, int filters, const float* dz, const float* w, float* dx) {
  const size_t in_item = size_t(g.in_h) * g.in_w * g.in_c, out_item = size_t(g.out_h) * g.out_w * filters;
  for (int b = 0; b < g.batch; ++b)
    for (int iy = 0; iy < g.in_h; ++iy)
      for (int ix = 0; ix < g.in_w; ++ix)
        for (int c = 0; c < g.in_c; ++c) {
          float sum = 0.0f;
          for (int ky = 0; ky < g.k_h; ++ky)
            for (int kx = 0; kx < g.k_w; ++kx) {
              const int64_t oy = int64_t(iy) + g.pad_top - ky, ox = int64_t(ix) + g.pad_left - kx;
              if (oy < 0 || oy >= g.out_h || ox < 0 || ox >= g.out_w) continue;
              const float* d = dz + b * out_item + (size_t(oy) * g.out_w + size_t(ox)) * filters;
              const float* wt = w + (size_t(ky * g.k_w + kx) * g.in_c + c) * filters;
              for (int f = 0; f < filters; ++f) sum += d[f] * wt[f];
            }
          dx[b * in_item + (size_t(iy) * g.in_w + ix) * g.in_c + c] = sum;
        }
}

void conv_forward_direct_ref(const ConvGeometry& g, int filters, const float* x, const float* w, const float* bias,
                             bool relu, float* y) {
  const size_t in_item = size_t(g.in_h) * g.in_w * g.in_c, positions = size_t(g.out_h) * g.out_w;
  for (int b = 0; b < g.batch; ++b)
    for (int oy = 0; oy < g.out_h; ++oy)
      for (int ox = 0; ox < g.out_w; ++ox)
        for (int f = 0; f < filters; ++f) {
          float sum = 0.0f;
          for (int ky = 0; ky < g.k_h; ++ky)
            for (int kx = 0; kx < g.k_w; ++kx) {
              const int64_t iy = int64_t(oy) + ky - g.pad_top, ix = int64_t(ox) + kx - g.pad_left;
              if (iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w) continue;
              for (int c = 0; c < g.in_c; ++c)
                sum += x[b * in_item + (size_t(iy) * g.in_w + size_t(ix)) * g.in_c + c] *
                       w[(size_t(ky * g.k_w + kx) * g.in_c + c) * filters + f];
            }
          const float v = sum + (bias ? bias[f] : 0.0f);
          y[(b * positions + size_t(oy) * g.out_w + ox) * filters + f] = relu && !(v > 0.0f) ? 0.0f : v;
        }
}

void conv_weight_grad_direct_ref(const ConvGeometry& g, int filters, const float* x, const float* dz, float* dw,
                                 bool accumulate) {
  const size_t in_item = size_t(g.in_h) * g.in_w * g.in_c, positions = size_t(g.out_h) * g.out_w;
  for (int ky = 0; ky < g.k_h; ++ky)
    for (int kx = 0; kx < g.k_w; ++kx)
      for (int c = 0; c < g.in_c; ++c)
        for (int f = 0; f < filters; ++f) {
          float sum = 0.0f;
          for (int b = 0; b < g.batch; ++b)
            for (int oy = 0; oy < g.out_h; ++oy)
              for (int ox = 0; ox < g.out_w; ++ox) {
                const int64_t iy = int64_t(oy) + ky - g.pad_top, ix = int64_t(ox) + kx - g.pad_left;
                if (iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w) continue;
                sum += x[b * in_item + (size_t(iy) * g.in_w + size_t(ix)) * g.in_c + c] *
                       dz[b * positions * filters + (size_t(oy) * g.out_w + ox) * filters + f];
              }
          float& out = dw[(size_t(ky * g.k_w + kx) * g.in_c + c) * filters + f];
          out = (accumulate ? out : 0.0f) + sum;
        }
}

}  // namespace cnn::kernels
