#include "core/layers/augment_sampling.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.h"

namespace cnn {

FillMode parse_fill_mode(const std::string& name) {
  if (name == "reflect") return FillMode::kReflect;
  if (name == "wrap") return FillMode::kWrap;
  if (name == "constant") return FillMode::kConstant;
  if (name == "nearest") return FillMode::kNearest;
  throw Error(kErrInvalidArgument, "unknown fill_mode \"" + name + "\" (reflect, wrap, constant, nearest)");
}

Interpolation parse_interpolation(const std::string& name) {
  if (name == "bilinear") return Interpolation::kBilinear;
  if (name == "nearest") return Interpolation::kNearest;
  throw Error(kErrInvalidArgument, "unknown interpolation \"" + name + "\" (bilinear, nearest)");
}

namespace {
float clamp_to(float v, int len) { return std::min(std::max(v, 0.0f), float(len - 1)); }
}  // namespace

// A transcription of tensorflow/core/kernels/image/image_ops.h (MapCoordinate), including its integer
// truncations, so that the same float gives the same point.
float map_coordinate(float in, int len, FillMode mode) {
  // Beyond any image (or not a number): the integer casts below would be undefined; such a point
  // reads the fill value (affine_taps treats it as outside).
  if (!(std::fabs(in) < 1e9f)) return in;
  switch (mode) {
    case FillMode::kConstant:
      return in;
    case FillMode::kNearest:
      return clamp_to(in, len);
    case FillMode::kReflect:
      if (in < 0) {
        if (len <= 1) {
          in = 0;
        } else {
          const int64_t sz2 = 2 * int64_t(len);
          if (in < float(sz2)) in = float(sz2 * int64_t(-in / float(sz2))) + in;
          in = (in < float(-len)) ? in + float(sz2) : -in - 1;
        }
      } else if (in > float(len - 1)) {
        if (len <= 1) {
          in = 0;
        } else {
          const int64_t sz2 = 2 * int64_t(len);
          in -= float(sz2 * int64_t(in / float(sz2)));
          if (in >= float(len)) in = float(sz2) - in - 1;
        }
      }
      return clamp_to(in, len);
    case FillMode::kWrap:
      if (in < 0) {
        if (len <= 1) {
          in = 0;
        } else {
          const int64_t sz = len - 1;
          in += float(int64_t(len) * (int64_t(-in / float(sz)) + 1));
        }
      } else if (in > float(len - 1)) {
        if (len <= 1) {
          in = 0;
        } else {
          const int64_t sz = len - 1;
          in -= float(int64_t(len) * int64_t(in / float(sz)));
        }
      }
      return clamp_to(in, len);
  }
  return in;
}

int affine_taps(const float t[8], int ox, int oy, int h, int w, FillMode mode, Interpolation interp, Tap out[4]) {
  const float fx = float(ox), fy = float(oy);
  const float projection = t[6] * fx + t[7] * fy + 1.0f;
  if (projection == 0) {
    out[0] = {-1, 1.0f};
    return 1;
  }
  const float in_x = (t[0] * fx + t[1] * fy + t[2]) / projection;
  const float in_y = (t[3] * fx + t[4] * fy + t[5]) / projection;
  const float x = map_coordinate(in_x, w, mode), y = map_coordinate(in_y, h, mode);
  // Coordinates far outside (constant mode) only need to stay outside; this keeps the casts defined.
  auto index = [](float v) { return std::isfinite(v) && std::fabs(v) < 1e9f ? int64_t(v) : int64_t(-1); };
  auto pixel = [&](int64_t yy, int64_t xx) -> int32_t {
    return (yy >= 0 && yy < h && xx >= 0 && xx < w) ? int32_t(yy * w + xx) : -1;
  };
  if (interp == Interpolation::kNearest) {
    out[0] = {pixel(index(std::round(y)), index(std::round(x))), 1.0f};
    return 1;
  }
  const float y0 = std::floor(y), x0 = std::floor(x), y1 = y0 + 1, x1 = x0 + 1;
  const int64_t iy0 = index(y0), ix0 = index(x0), iy1 = index(y1), ix1 = index(x1);
  out[0] = {pixel(iy0, ix0), (y1 - y) * (x1 - x)};
  out[1] = {pixel(iy0, ix1), (y1 - y) * (x - x0)};
  out[2] = {pixel(iy1, ix0), (y - y0) * (x1 - x)};
  out[3] = {pixel(iy1, ix1), (y - y0) * (x - x0)};
  return 4;
}

void affine_forward(const float* x, float* y, const ImageShape& s, const float t[8], FillMode mode,
                    Interpolation interp, float fill_value) {
  const int c = s.c;
  Tap taps[4];
  for (int oy = 0; oy < s.h; ++oy)
    for (int ox = 0; ox < s.w; ++ox) {
      int k = affine_taps(t, ox, oy, s.h, s.w, mode, interp, taps);
      float* out = y + (size_t(oy) * s.w + ox) * c;
      for (int ch = 0; ch < c; ++ch) out[ch] = 0;
      for (int i = 0; i < k; ++i) {
        if (taps[i].weight == 0) continue;
        if (taps[i].pixel < 0) {
          for (int ch = 0; ch < c; ++ch) out[ch] += taps[i].weight * fill_value;
        } else {
          const float* src = x + size_t(taps[i].pixel) * c;
          for (int ch = 0; ch < c; ++ch) out[ch] += taps[i].weight * src[ch];
        }
      }
    }
}

void affine_backward(const float* dy, float* dx, const ImageShape& s, const float t[8], FillMode mode,
                     Interpolation interp) {
  const int c = s.c;
  std::memset(dx, 0, size_t(s.h) * s.w * c * sizeof(float));
  Tap taps[4];
  for (int oy = 0; oy < s.h; ++oy)
    for (int ox = 0; ox < s.w; ++ox) {
      int k = affine_taps(t, ox, oy, s.h, s.w, mode, interp, taps);
      const float* g = dy + (size_t(oy) * s.w + ox) * c;
      for (int i = 0; i < k; ++i) {
        if (taps[i].pixel < 0 || taps[i].weight == 0) continue;
        float* d = dx + size_t(taps[i].pixel) * c;
        for (int ch = 0; ch < c; ++ch) d[ch] += taps[i].weight * g[ch];
      }
    }
}

std::vector<AxisTaps> resize_axis_taps(int virtual_size, int out_size, int offset, int real_size, Interpolation interp) {
  std::vector<AxisTaps> taps(static_cast<size_t>(out_size));
  const float scale = float(virtual_size) / float(out_size);
  auto real = [&](int64_t v) -> int32_t {
    int64_t r = v + offset;
    return r >= 0 && r < real_size ? int32_t(r) : -1;
  };
  for (int o = 0; o < out_size; ++o) {
    if (interp == Interpolation::kNearest) {
      // tensorflow's resize_nearest_neighbor with half_pixel_centers: floor((o + 0.5) * scale), clamped.
      int64_t v = std::min<int64_t>(int64_t(std::floor((float(o) + 0.5f) * scale)), virtual_size - 1);
      v = std::max<int64_t>(v, 0);
      taps[size_t(o)] = {real(v), real(v), 0.0f};
    } else {
      // tensorflow's compute_interpolation_weights with HalfPixelScaler.
      const float in = (float(o) + 0.5f) * scale - 0.5f;
      const float in_f = std::floor(in);
      int64_t lo = std::max<int64_t>(int64_t(in_f), 0);
      int64_t hi = std::min<int64_t>(int64_t(std::ceil(in)), virtual_size - 1);
      taps[size_t(o)] = {real(lo), real(hi), in - in_f};
    }
  }
  return taps;
}

void resize_forward(const float* x, float* y, const ImageShape& in, const std::vector<AxisTaps>& rows,
                    const std::vector<AxisTaps>& cols, float fill_value) {
  const int c = in.c;
  auto at = [&](int32_t r, int32_t col, int ch) {
    return r < 0 || col < 0 ? fill_value : x[(size_t(r) * in.w + col) * c + ch];
  };
  for (size_t oy = 0; oy < rows.size(); ++oy) {
    const AxisTaps& ry = rows[oy];
    for (size_t ox = 0; ox < cols.size(); ++ox) {
      const AxisTaps& rx = cols[ox];
      float* out = y + (oy * cols.size() + ox) * c;
      for (int ch = 0; ch < c; ++ch) {
        // The order of tensorflow's compute_lerp: top, bottom, then between them.
        const float tl = at(ry.lo, rx.lo, ch), tr = at(ry.lo, rx.hi, ch);
        const float bl = at(ry.hi, rx.lo, ch), br = at(ry.hi, rx.hi, ch);
        const float top = tl + (tr - tl) * rx.lerp, bottom = bl + (br - bl) * rx.lerp;
        out[ch] = top + (bottom - top) * ry.lerp;
      }
    }
  }
}

void resize_backward(const float* dy, float* dx, const ImageShape& in, const std::vector<AxisTaps>& rows,
                     const std::vector<AxisTaps>& cols) {
  const int c = in.c;
  std::memset(dx, 0, size_t(in.h) * in.w * c * sizeof(float));
  auto add = [&](int32_t r, int32_t col, float wgt, const float* g) {
    if (r < 0 || col < 0 || wgt == 0) return;
    float* d = dx + (size_t(r) * in.w + col) * c;
    for (int ch = 0; ch < c; ++ch) d[ch] += wgt * g[ch];
  };
  for (size_t oy = 0; oy < rows.size(); ++oy) {
    const AxisTaps& ry = rows[oy];
    for (size_t ox = 0; ox < cols.size(); ++ox) {
      const AxisTaps& rx = cols[ox];
      const float* g = dy + (oy * cols.size() + ox) * c;
      add(ry.lo, rx.lo, (1 - ry.lerp) * (1 - rx.lerp), g);
      add(ry.lo, rx.hi, (1 - ry.lerp) * rx.lerp, g);
      add(ry.hi, rx.lo, ry.lerp * (1 - rx.lerp), g);
      add(ry.hi, rx.hi, ry.lerp * rx.lerp, g);
    }
  }
}

}  // namespace cnn
