#include "core/layers/preprocessing.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "core/parallel.h"

namespace cnn {

namespace {
constexpr size_t kGrain = 16384;

void copy_all(const float* src, float* dst, size_t count) {
  if (src == dst) return;
  parallel_for(count, kGrain * 4, [&](size_t b, size_t e) { std::memcpy(dst + b, src + b, (e - b) * sizeof(float)); });
}
}  // namespace

ImageShape image_shape_of(const LayerSpec& spec) {
  CNN_CHECK(spec.input_shape.size() == 3, spec.name + ": " + spec.type + " needs a 3-D input (height, width, channels), got " +
                                              shape_text(spec.input_shape));
  return ImageShape{spec.input_shape[0], spec.input_shape[1], spec.input_shape[2]};
}

RescalingLayer::RescalingLayer(const LayerSpec& spec, int index)
    : Layer(spec, index), scale_(float(spec.pre.scale)), offset_(float(spec.pre.offset)) {
  set_output_shape(spec.input_shape);
}

void RescalingLayer::forward(const float* x, float* y, int n, const RunContext&) {
  parallel_for(size_t(n) * in_size_, kGrain, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) y[i] = x[i] * scale_ + offset_;
  });
}

void RescalingLayer::backward(const float*, const float*, float* dy, float* dx, int n) {
  if (!dx) return;
  parallel_for(size_t(n) * in_size_, kGrain, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) dx[i] = dy[i] * scale_;
  });
}

ResizingLayer::ResizingLayer(const LayerSpec& spec, int index)
    : Layer(spec, index), in_(image_shape_of(spec)), fill_value_(float(spec.pre.fill_value)) {
  const PreprocessingSpec& p = spec.pre;
  CNN_CHECK(p.height >= 1 && p.width >= 1, spec.name + ": Resizing needs a height and a width >= 1");
  CNN_CHECK(!(p.crop_to_aspect_ratio && p.pad_to_aspect_ratio),
            spec.name + ": only one of crop_to_aspect_ratio and pad_to_aspect_ratio can be true");
  Interpolation interp = with_layer_name(spec.name, [&] { return parse_interpolation(p.interpolation); });
  // Keras (backend/tensorflow/image.py resize): sizes through float32 and truncation, as there.
  const int64_t h = in_.h, w = in_.w, th = p.height, tw = p.width;
  int64_t vh = h, vw = w, oh = 0, ow = 0;  // virtual (cropped or padded) size, and where the real image starts in it
  if (p.crop_to_aspect_ratio) {
    int64_t ch = std::max<int64_t>(std::min<int64_t>(h, int64_t(float(w * th) / float(tw))), 1);
    int64_t cw = std::max<int64_t>(std::min<int64_t>(w, int64_t(float(h * tw) / float(th))), 1);
    oh = -int64_t(float(h - ch) / 2);
    ow = -int64_t(float(w - cw) / 2);
    vh = ch;
    vw = cw;
  } else if (p.pad_to_aspect_ratio) {
    int64_t ph = std::max<int64_t>(h, int64_t(float(w * th) / float(tw)));
    int64_t pw = std::max<int64_t>(w, int64_t(float(h * tw) / float(th)));
    oh = int64_t(float(ph - h) / 2);  // Keras pads this much on both sides
    ow = int64_t(float(pw - w) / 2);
    vh = h + 2 * oh;
    vw = w + 2 * ow;
  }
  CNN_CHECK(vh <= kMaxInt32 && vw <= kMaxInt32, spec.name + ": the padded image is too large");
  rows_ = resize_axis_taps(int(vh), p.height, int(-oh), in_.h, interp);
  cols_ = resize_axis_taps(int(vw), p.width, int(-ow), in_.w, interp);
  set_output_shape({p.height, p.width, in_.c});
}

void ResizingLayer::forward(const float* x, float* y, int n, const RunContext&) {
  parallel_for(size_t(n), 1, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) resize_forward(x + i * in_size_, y + i * out_size_, in_, rows_, cols_, fill_value_);
  });
}

void ResizingLayer::backward(const float*, const float*, float* dy, float* dx, int n) {
  if (!dx) return;
  parallel_for(size_t(n), 1, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) resize_backward(dy + i * out_size_, dx + i * in_size_, in_, rows_, cols_);
  });
}

PadCrop2DLayer::PadCrop2DLayer(const LayerSpec& spec, int index, bool crop) : Layer(spec, index), crop_(crop) {
  in_ = image_shape_of(spec);
  const int* p = spec.pre.pad;
  for (int i = 0; i < 4; ++i) CNN_CHECK(p[i] >= 0, spec.name + ": padding and cropping must be >= 0");
  int64_t dh = int64_t(p[0]) + p[1], dw = int64_t(p[2]) + p[3];
  int64_t oh = crop ? in_.h - dh : in_.h + dh, ow = crop ? in_.w - dw : in_.w + dw;
  CNN_CHECK(oh >= 1 && ow >= 1 && oh <= kMaxInt32 && ow <= kMaxInt32,
            spec.name + ": " + (crop ? "cropping leaves nothing of" : "padding is too large for") + " the input " +
                shape_text(spec.input_shape));
  out_ = ImageShape{int(oh), int(ow), in_.c};
  top_ = p[0];
  left_ = p[2];
  set_output_shape({out_.h, out_.w, out_.c});
}

namespace {
// Copies the small image into (or out of) the large one at (top, left); `into` zeroes the rest.
void place(const float* src, float* dst, const ImageShape& small, const ImageShape& large, int top, int left, bool into) {
  const size_t row = size_t(small.w) * small.c;
  if (into) std::memset(dst, 0, size_t(large.h) * large.w * large.c * sizeof(float));
  for (int r = 0; r < small.h; ++r) {
    size_t big = (size_t(r + top) * large.w + left) * large.c, little = size_t(r) * row;
    if (into) std::memcpy(dst + big, src + little, row * sizeof(float));
    else std::memcpy(dst + little, src + big, row * sizeof(float));
  }
}
}  // namespace

void PadCrop2DLayer::forward(const float* x, float* y, int n, const RunContext&) {
  parallel_for(size_t(n), 1, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) {
      if (crop_) place(x + i * in_size_, y + i * out_size_, out_, in_, top_, left_, false);
      else place(x + i * in_size_, y + i * out_size_, in_, out_, top_, left_, true);
    }
  });
}

void PadCrop2DLayer::backward(const float*, const float*, float* dy, float* dx, int n) {
  if (!dx) return;
  parallel_for(size_t(n), 1, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) {
      if (crop_) place(dy + i * out_size_, dx + i * in_size_, out_, in_, top_, left_, true);
      else place(dy + i * out_size_, dx + i * in_size_, in_, out_, top_, left_, false);
    }
  });
}

ReshapeLayer::ReshapeLayer(const LayerSpec& spec, int index) : Layer(spec, index) {
  CNN_CHECK(!spec.output_shape.empty(), spec.name + ": Reshape needs its target shape (output_shape)");
  size_t out = with_layer_name(spec.name, [&] { return shape_size(spec.output_shape); });
  CNN_CHECK(out == in_size_, spec.name + ": cannot reshape " + shape_text(spec.input_shape) + " into " +
                                 shape_text(spec.output_shape));
  set_output_shape(spec.output_shape);
}

void ReshapeLayer::forward(const float* x, float* y, int n, const RunContext&) { copy_all(x, y, size_t(n) * in_size_); }
void ReshapeLayer::backward(const float*, const float*, float* dy, float* dx, int n) {
  if (dx) copy_all(dy, dx, size_t(n) * in_size_);
}

}  // namespace cnn
