// The arguments of the preprocessing and augmentation layers (Rescaling, Resizing, ZeroPadding2D,
// Cropping2D, Reshape, RandomFlip/Translation/Rotation/Zoom/Contrast/Brightness), held by LayerSpec.
// TypeScript validates them with Keras's rules and fills every default (src/model/validate-preprocessing.ts);
// the layers re-check what they rely on.
#pragma once
#include <cstdint>
#include <string>

namespace cnn {

struct PreprocessingSpec {
  // Rescaling: y = x * scale + offset.
  double scale = 1, offset = 0;
  // Resizing: output height and width.
  int height = 0, width = 0;
  std::string interpolation = "bilinear";  // bilinear | nearest (Resizing and the geometric Random* layers)
  bool crop_to_aspect_ratio = false, pad_to_aspect_ratio = false;
  // Geometric Random* layers: reflect | wrap | constant | nearest; fill_value for constant (and Resizing's pad).
  std::string fill_mode = "reflect";
  double fill_value = 0;
  // RandomFlip: horizontal | vertical | horizontal_and_vertical.
  std::string mode = "horizontal_and_vertical";
  // Sampling ranges [lower, upper], already as Keras normalizes them (sorted; a scalar f is [-f, f]).
  // RandomTranslation/RandomZoom: height_factor and width_factor (has_width_factor false: zoom keeps
  // the aspect ratio); RandomRotation, RandomContrast, RandomBrightness: factor.
  double height_factor[2] = {0, 0}, width_factor[2] = {0, 0}, factor[2] = {0, 0};
  bool has_width_factor = true;
  double value_range[2] = {0, 255};  // RandomContrast, RandomBrightness: the output is clipped to it
  // The layer's own seed, else the network's.
  uint64_t seed = 0;
  bool has_seed = false;
  // ZeroPadding2D / Cropping2D: top, bottom, left, right.
  int pad[4] = {0, 0, 0, 0};
};

}  // namespace cnn
