// Max and average pooling for NHWC, Keras semantics: padded cells never win a max, and an average
// divides by the number of real cells in its window.
#include <algorithm>
#include <cstdint>
#include <string>
#include <cstring>
#include <limits>

#include "core/checked.h"
#include "core/error.h"
#include "kernels/kernels.h"

namespace cnn::kernels {

PoolGeometry make_pool_geometry(int batch, int in_h, int in_w, int c, int pool_h, int pool_w, int stride_h,
                                int stride_w, bool padding_same) {
  CNN_CHECK(batch >= 0 && in_h >= 1 && in_w >= 1 && c >= 1, "pooling input dimensions must be positive");
  CNN_CHECK(pool_h >= 1 && pool_w >= 1 && stride_h >= 1 && stride_w >= 1, "pool size and strides must be positive");
  // The window and argmax arithmetic is int (argmax holds a flat index within one example), so the
  // example's size and the farthest index a window reaches must fit in int32: checked in 64 bits.
  checked_mul(checked_mul(in_h, in_w, kMaxInt32, "the pooling input's height x width"), c, kMaxInt32,
              "the pooling input's size per example");
  PoolGeometry g{batch, in_h, in_w, c, pool_h, pool_w, stride_h, stride_w, 0, 0, 0, 0};
  auto window = [&](const char* axis, int64_t in, int64_t k, int64_t s, int& out, int& before) {
    int64_t o, pad = 0;
    if (padding_same) {
      o = (in + s - 1) / s;
      pad = std::max<int64_t>(0, (o - 1) * s + k - in) / 2;
    } else {
      o = in >= k ? (in - k) / s + 1 : 0;
    }
    if (o >= 1 && (o - 1) * s + k > kMaxInt32)
      throw Error(kErrInvalidArgument, std::string("the pool windows along the ") + axis + " reach index " +
                                           std::to_string((o - 1) * s + k) + ", beyond " + std::to_string(kMaxInt32));
    out = int(o);
    before = int(pad);
  };
  window("height", in_h, pool_h, stride_h, g.out_h, g.pad_top);
  window("width", in_w, pool_w, stride_w, g.out_w, g.pad_left);
  if (g.out_h < 1 || g.out_w < 1) throw Error(kErrInvalidArgument, "the pool window is larger than its input");
  return g;
}

// The plain reference: every window, every channel, first strictly larger value wins. The dispatched
// maxpool_forward (impl/vector_loops.h, per ISA) is tested against it.
void maxpool_forward_ref(const PoolGeometry& g, const float* x, float* y, int32_t* argmax) {
  const size_t plane = size_t(g.in_h) * g.in_w * g.c;
  for (int b = 0; b < g.batch; ++b) {
    const float* img = x + b * plane;
    for (int oy = 0; oy < g.out_h; ++oy) {
      const int y0 = std::max(0, oy * g.stride_h - g.pad_top), y1 = std::min(g.in_h, oy * g.stride_h - g.pad_top + g.pool_h);
      for (int ox = 0; ox < g.out_w; ++ox) {
        const int x0 = std::max(0, ox * g.stride_w - g.pad_left), x1 = std::min(g.in_w, ox * g.stride_w - g.pad_left + g.pool_w);
        const size_t o = ((size_t(b) * g.out_h + oy) * g.out_w + ox) * g.c;
        for (int ch = 0; ch < g.c; ++ch) {
          float best = -std::numeric_limits<float>::infinity();
          int32_t where = int32_t((size_t(y0) * g.in_w + x0) * g.c + ch);
          for (int iy = y0; iy < y1; ++iy)
            for (int ix = x0; ix < x1; ++ix) {
              const int32_t idx = int32_t((size_t(iy) * g.in_w + ix) * g.c + ch);
              if (img[idx] > best) {
                best = img[idx];
                where = idx;
              }
            }
          y[o + ch] = best;
          argmax[o + ch] = where;
        }
      }
    }
  }
}

// The plain reference of the dispatched maxpool_backward (impl/vector_loops.h, per ISA).
void maxpool_backward_ref(const PoolGeometry& g, const float* dy, const int32_t* argmax, float* dx) {
  const size_t plane = size_t(g.in_h) * g.in_w * g.c, out_plane = size_t(g.out_h) * g.out_w * g.c;
  std::memset(dx, 0, sizeof(float) * plane * g.batch);
  for (int b = 0; b < g.batch; ++b)
    for (size_t o = 0; o < out_plane; ++o) dx[b * plane + argmax[b * out_plane + o]] += dy[b * out_plane + o];
}

void avgpool_forward(const PoolGeometry& g, const float* x, float* y) {
  const size_t plane = size_t(g.in_h) * g.in_w * g.c;
  for (int b = 0; b < g.batch; ++b) {
    const float* img = x + b * plane;
    for (int oy = 0; oy < g.out_h; ++oy) {
      const int y0 = std::max(0, oy * g.stride_h - g.pad_top), y1 = std::min(g.in_h, oy * g.stride_h - g.pad_top + g.pool_h);
      for (int ox = 0; ox < g.out_w; ++ox) {
        const int x0 = std::max(0, ox * g.stride_w - g.pad_left), x1 = std::min(g.in_w, ox * g.stride_w - g.pad_left + g.pool_w);
        const float inv = 1.0f / float((y1 - y0) * (x1 - x0));
        float* out = y + ((size_t(b) * g.out_h + oy) * g.out_w + ox) * g.c;
        for (int ch = 0; ch < g.c; ++ch) out[ch] = 0.0f;
        for (int iy = y0; iy < y1; ++iy)
          for (int ix = x0; ix < x1; ++ix) {
            const float* px = img + (size_t(iy) * g.in_w + ix) * g.c;
            for (int ch = 0; ch < g.c; ++ch) out[ch] += px[ch];
          }
        for (int ch = 0; ch < g.c; ++ch) out[ch] *= inv;
      }
    }
  }
}

void avgpool_backward(const PoolGeometry& g, const float* dy, float* dx) {
  const size_t plane = size_t(g.in_h) * g.in_w * g.c;
  std::memset(dx, 0, sizeof(float) * plane * g.batch);
  for (int b = 0; b < g.batch; ++b) {
    float* img = dx + b * plane;
    for (int oy = 0; oy < g.out_h; ++oy) {
      const int y0 = std::max(0, oy * g.stride_h - g.pad_top), y1 = std::min(g.in_h, oy * g.stride_h - g.pad_top + g.pool_h);
      for (int ox = 0; ox < g.out_w; ++ox) {
        const int x0 = std::max(0, ox * g.stride_w - g.pad_left), x1 = std::min(g.in_w, ox * g.stride_w - g.pad_left + g.pool_w);
        const float inv = 1.0f / float((y1 - y0) * (x1 - x0));
        const float* d = dy + ((size_t(b) * g.out_h + oy) * g.out_w + ox) * g.c;
        for (int iy = y0; iy < y1; ++iy)
          for (int ix = x0; ix < x1; ++ix) {
            float* px = img + (size_t(iy) * g.in_w + ix) * g.c;
            for (int ch = 0; ch < g.c; ++ch) px[ch] += d[ch] * inv;
          }
      }
    }
  }
}

}  // namespace cnn::kernels
