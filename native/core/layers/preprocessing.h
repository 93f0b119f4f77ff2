// Deterministic preprocessing layers without parameters: Rescaling, Resizing, ZeroPadding2D, Cropping2D
// and Reshape. They act the same in training and inference, in parallel over the batch, and pass the
// gradient back exactly (Resizing: the transpose of its bilinear or nearest sampling).
#pragma once
#include <vector>

#include "core/layers/augment_sampling.h"
#include "core/layers/layer.h"

namespace cnn {

// y = x * scale + offset.
class RescalingLayer : public Layer {
 public:
  RescalingLayer(const LayerSpec& spec, int index);
  void forward(const float* x, float* y, int n, const RunContext& ctx) override;
  void backward(const float* x, const float* y, float* dy, float* dx, int n) override;

 private:
  float scale_, offset_;
};

// keras.layers.Resizing: tf.image.resize (half-pixel centres, no antialias) after Keras's optional
// centred crop or symmetric fill_value padding to the target's aspect ratio.
class ResizingLayer : public Layer {
 public:
  ResizingLayer(const LayerSpec& spec, int index);
  void forward(const float* x, float* y, int n, const RunContext& ctx) override;
  void backward(const float* x, const float* y, float* dy, float* dx, int n) override;

 private:
  ImageShape in_;
  std::vector<AxisTaps> rows_, cols_;
  float fill_value_;
};

// ZeroPadding2D (pad > 0) and Cropping2D (the same copy the other way round), channels_last.
class PadCrop2DLayer : public Layer {
 public:
  PadCrop2DLayer(const LayerSpec& spec, int index, bool crop);
  void forward(const float* x, float* y, int n, const RunContext& ctx) override;
  void backward(const float* x, const float* y, float* dy, float* dx, int n) override;

 private:
  bool crop_;
  ImageShape in_, out_;
  int top_, left_;  // where the smaller image sits inside the larger one
};

// Reshape: the data are already contiguous, so a copy (spec.output_shape holds the target shape).
class ReshapeLayer : public Layer {
 public:
  ReshapeLayer(const LayerSpec& spec, int index);
  void forward(const float* x, float* y, int n, const RunContext& ctx) override;
  void backward(const float* x, const float* y, float* dy, float* dx, int n) override;
};

// The shape a 3-D (height, width, channels) input of `spec` has; throws when it is not 3-D.
ImageShape image_shape_of(const LayerSpec& spec);

}  // namespace cnn
