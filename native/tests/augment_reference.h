// Test-only references for the augmentation and preprocessing layers, in double, written from the
// definitions (not from the layers' code): an image extended beyond its border by the fill mode
// (reflect: dcba|abcd|dcba, wrap: abcd|abcd, nearest: aaaa|abcd|dddd, constant: the fill value),
// sampled bilinearly (or at the rounded point) at the point the transform gives.
#pragma once
#include <cmath>
#include <string>
#include <vector>

namespace cnn_test {

// The source index of integer coordinate i along an axis of length len, or -1 for the fill value.
inline long ref_extend(long i, long len, const std::string& mode) {
  if (i >= 0 && i < len) return i;
  if (mode == "constant") return -1;
  if (mode == "nearest") return i < 0 ? 0 : len - 1;
  if (mode == "wrap") return ((i % len) + len) % len;
  long period = 2 * len, m = ((i % period) + period) % period;  // reflect
  return m < len ? m : period - 1 - m;
}

struct RefImage {
  int h, w, c;
  const std::vector<double>* data;  // one image, NHWC
  double at(long y, long x, int ch, const std::string& mode, double fill) const {
    long yy = ref_extend(y, h, mode), xx = ref_extend(x, w, mode);
    return yy < 0 || xx < 0 ? fill : (*data)[(size_t(yy) * w + size_t(xx)) * c + ch];
  }
};

// Output pixel (x, y) reads the input at (t0 x + t1 y + t2, t3 x + t4 y + t5).
inline std::vector<double> ref_affine(const std::vector<double>& img, int h, int w, int c, const float* t,
                                      const std::string& mode, bool bilinear, double fill) {
  RefImage im{h, w, c, &img};
  std::vector<double> out(img.size());
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      double px = double(t[0]) * x + double(t[1]) * y + double(t[2]);
      double py = double(t[3]) * x + double(t[4]) * y + double(t[5]);
      for (int ch = 0; ch < c; ++ch) {
        double v;
        if (!bilinear) {
          v = im.at(std::lround(py), std::lround(px), ch, mode, fill);
        } else {
          long x0 = long(std::floor(px)), y0 = long(std::floor(py));
          double fx = px - x0, fy = py - y0;
          v = (1 - fy) * ((1 - fx) * im.at(y0, x0, ch, mode, fill) + fx * im.at(y0, x0 + 1, ch, mode, fill)) +
              fy * ((1 - fx) * im.at(y0 + 1, x0, ch, mode, fill) + fx * im.at(y0 + 1, x0 + 1, ch, mode, fill));
        }
        out[(size_t(y) * w + x) * c + ch] = v;
      }
    }
  return out;
}

// tf.image.resize (bilinear, half-pixel centres, no antialias): the source point of output o is
// (o + 0.5) * in / out - 0.5, clamped into the image, interpolated between its two neighbours.
inline std::vector<double> ref_resize_bilinear(const std::vector<double>& img, int h, int w, int c, int oh, int ow) {
  std::vector<double> out(size_t(oh) * ow * c);
  auto source = [](int o, int in, int out_size, long& lo, long& hi, double& f) {
    double p = (o + 0.5) * double(in) / double(out_size) - 0.5;
    if (p < 0) p = 0;
    if (p > in - 1) p = in - 1;
    lo = long(std::floor(p));
    hi = std::min<long>(lo + 1, in - 1);
    f = p - lo;
  };
  for (int y = 0; y < oh; ++y)
    for (int x = 0; x < ow; ++x) {
      long y0, y1, x0, x1;
      double fy, fx;
      source(y, h, oh, y0, y1, fy);
      source(x, w, ow, x0, x1, fx);
      for (int ch = 0; ch < c; ++ch) {
        auto v = [&](long yy, long xx) { return img[(size_t(yy) * w + xx) * c + ch]; };
        out[(size_t(y) * ow + x) * c + ch] =
            (1 - fy) * ((1 - fx) * v(y0, x0) + fx * v(y0, x1)) + fy * ((1 - fx) * v(y1, x0) + fx * v(y1, x1));
      }
    }
  return out;
}

}  // namespace cnn_test
