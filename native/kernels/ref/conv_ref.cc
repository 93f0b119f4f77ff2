// Convolution geometry (Keras's padding rules) and im2col/col2im for NHWC. Channel runs are contiguous
// in both the image and the column matrix, so each (kh, kw) tap copies in_c floats at once.
#include <algorithm>
#include <cstring>
#include <string>

#include "core/error.h"
#include "kernels/kernels.h"

namespace cnn::kernels {

namespace {
// Keras: valid out = floor((in - eff)/s) + 1; same out = ceil(in/s), total pad split with the odd pixel last.
void window(int in, int k, int s, int d, bool same, int& out, int& before) {
  const int eff = (k - 1) * d + 1;
  if (same) {
    out = (in + s - 1) / s;
    const int total = std::max(0, (out - 1) * s + eff - in);
    before = total / 2;
  } else {
    out = in >= eff ? (in - eff) / s + 1 : 0;
    before = 0;
  }
}
}  // namespace

ConvGeometry make_conv_geometry(int batch, int in_h, int in_w, int in_c, int k_h, int k_w, int stride_h, int stride_w,
                                int dil_h, int dil_w, bool padding_same) {
  CNN_CHECK(batch >= 0 && in_h >= 1 && in_w >= 1 && in_c >= 1, "conv input dimensions must be positive");
  CNN_CHECK(k_h >= 1 && k_w >= 1 && stride_h >= 1 && stride_w >= 1 && dil_h >= 1 && dil_w >= 1,
            "kernel size, strides and dilation must be positive");
  ConvGeometry g{batch, in_h, in_w, in_c, k_h, k_w, stride_h, stride_w, dil_h, dil_w, 0, 0, 0, 0};
  window(in_h, k_h, stride_h, dil_h, padding_same, g.out_h, g.pad_top);
  window(in_w, k_w, stride_w, dil_w, padding_same, g.out_w, g.pad_left);
  if (g.out_h < 1 || g.out_w < 1)
    throw Error(kErrInvalidArgument, "the kernel (" + std::to_string(k_h) + "x" + std::to_string(k_w) +
                                         ", dilation " + std::to_string(dil_h) + "x" + std::to_string(dil_w) +
                                         ") is larger than the input (" + std::to_string(in_h) + "x" +
                                         std::to_string(in_w) + ")");
  return g;
}

void im2col_nhwc(const ConvGeometry& g, const float* x, float* cols) {
  const size_t c = size_t(g.in_c);
  const size_t row_len = size_t(g.k_h) * g.k_w * c;
  float* out = cols;
  for (int b = 0; b < g.batch; ++b) {
    const float* img = x + size_t(b) * g.in_h * g.in_w * c;
    for (int oy = 0; oy < g.out_h; ++oy) {
      for (int ox = 0; ox < g.out_w; ++ox, out += row_len) {
        float* dst = out;
        for (int ky = 0; ky < g.k_h; ++ky) {
          const int iy = oy * g.stride_h - g.pad_top + ky * g.dil_h;
          for (int kx = 0; kx < g.k_w; ++kx, dst += c) {
            const int ix = ox * g.stride_w - g.pad_left + kx * g.dil_w;
            if (iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w)
              std::memset(dst, 0, sizeof(float) * c);
            else
              std::memcpy(dst, img + (size_t(iy) * g.in_w + ix) * c, sizeof(float) * c);
          }
        }
      }
    }
  }
}

void col2im_nhwc(const ConvGeometry& g, const float* cols, float* dx) {
  const size_t c = size_t(g.in_c);
  const size_t row_len = size_t(g.k_h) * g.k_w * c;
  std::memset(dx, 0, sizeof(float) * size_t(g.batch) * g.in_h * g.in_w * c);
  const float* in = cols;
  for (int b = 0; b < g.batch; ++b) {
    float* img = dx + size_t(b) * g.in_h * g.in_w * c;
    for (int oy = 0; oy < g.out_h; ++oy) {
      for (int ox = 0; ox < g.out_w; ++ox, in += row_len) {
        const float* src = in;
        for (int ky = 0; ky < g.k_h; ++ky) {
          const int iy = oy * g.stride_h - g.pad_top + ky * g.dil_h;
          for (int kx = 0; kx < g.k_w; ++kx, src += c) {
            const int ix = ox * g.stride_w - g.pad_left + kx * g.dil_w;
            if (iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w) continue;
            float* d = img + (size_t(iy) * g.in_w + ix) * c;
            for (size_t k = 0; k < c; ++k) d[k] += src[k];
          }
        }
      }
    }
  }
}

}  // namespace cnn::kernels
