// Resampling shared by Resizing and the geometric augmentation layers, written to compute what
// TensorFlow's kernels compute (Keras 3 on the TensorFlow backend is the reference):
//  - affine_*: tf.raw_ops.ImageProjectiveTransformV3 (keras.ops.image.affine_transform). The transform
//    [a0 a1 a2 b0 b1 b2 c0 c1] maps an output pixel (x, y) to the input point
//    ((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k), k = c0 x + c1 y + 1, pixel centres at integers;
//    the point is first mapped into the image by the fill mode (MapCoordinate), then sampled
//    (bilinear, or nearest by std::round); taps outside the image read fill_value.
//  - resize_*: tf.image.resize without antialias (half-pixel centres), on a per-axis tap table.
// Every function works on one image (h, w, c) in NHWC order; callers parallelize over the batch.
// Backward functions are the exact transposes of the forwards (a scatter of dy with the same taps).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace cnn {

enum class FillMode { kReflect, kWrap, kConstant, kNearest };
enum class Interpolation { kBilinear, kNearest };

FillMode parse_fill_mode(const std::string& name);           // throws for an unknown name
Interpolation parse_interpolation(const std::string& name);  // throws for an unknown name

struct ImageShape {
  int h = 0, w = 0, c = 0;
};

// TensorFlow's MapCoordinate: the coordinate moved into [0, len - 1] (constant mode leaves it as is).
float map_coordinate(float coord, int len, FillMode mode);

// One sample of an input pixel (index y * w + x), or of the fill value when pixel < 0.
struct Tap {
  int32_t pixel;
  float weight;
};

// The (up to 4) taps of output pixel (x, y); returns how many.
int affine_taps(const float t[8], int x, int y, int h, int w, FillMode mode, Interpolation interp, Tap out[4]);

void affine_forward(const float* x, float* y, const ImageShape& s, const float t[8], FillMode mode,
                    Interpolation interp, float fill_value);
// dx = transpose(sampling) * dy (dx is overwritten).
void affine_backward(const float* dy, float* dx, const ImageShape& s, const float t[8], FillMode mode,
                     Interpolation interp);

// One output index along one axis of a resize: two source indices (-1: the fill value of a padded
// border) and the weight of `hi`.
struct AxisTaps {
  int32_t lo, hi;
  float lerp;
};
// The taps of an axis resized from `virtual_size` (the cropped or padded length) to `out_size`; virtual
// index v is real index v + offset, outside [0, real_size) it is padding.
std::vector<AxisTaps> resize_axis_taps(int virtual_size, int out_size, int offset, int real_size, Interpolation interp);

void resize_forward(const float* x, float* y, const ImageShape& in, const std::vector<AxisTaps>& rows,
                    const std::vector<AxisTaps>& cols, float fill_value);
void resize_backward(const float* dy, float* dx, const ImageShape& in, const std::vector<AxisTaps>& rows,
                     const std::vector<AxisTaps>& cols);

}  // namespace cnn
