#include "core/error.h"
#include "core/layers/augment.h"
#include "core/layers/batch_norm.h"
#include "core/layers/conv2d.h"
#include "core/layers/dense.h"
#include "core/layers/layer.h"
#include "core/layers/pooling.h"
#include "core/layers/preprocessing.h"
#include "core/layers/simple.h"

namespace cnn {

std::unique_ptr<Layer> make_layer(const LayerSpec& spec, int index, InitContext& init) {
  const std::string& t = spec.type;
  if (t == "Conv2D") return std::make_unique<Conv2DLayer>(spec, index, init);
  if (t == "Dense") return std::make_unique<DenseLayer>(spec, index, init);
  if (t == "MaxPooling2D") return std::make_unique<Pool2DLayer>(spec, index, true);
  if (t == "AveragePooling2D") return std::make_unique<Pool2DLayer>(spec, index, false);
  if (t == "GlobalAveragePooling2D") return std::make_unique<GlobalAveragePooling2DLayer>(spec, index);
  if (t == "Flatten") return std::make_unique<FlattenLayer>(spec, index);
  if (t == "Dropout") return std::make_unique<DropoutLayer>(spec, index, init.seed);
  if (t == "BatchNormalization") return std::make_unique<BatchNormLayer>(spec, index, init);
  if (t == "Activation") return std::make_unique<ActivationLayer>(spec, index);
  if (t == "Rescaling") return std::make_unique<RescalingLayer>(spec, index);
  if (t == "Resizing") return std::make_unique<ResizingLayer>(spec, index);
  if (t == "ZeroPadding2D") return std::make_unique<PadCrop2DLayer>(spec, index, false);
  if (t == "Cropping2D") return std::make_unique<PadCrop2DLayer>(spec, index, true);
  if (t == "Reshape") return std::make_unique<ReshapeLayer>(spec, index);
  if (t == "RandomFlip") return std::make_unique<RandomFlipLayer>(spec, index, init.seed);
  if (t == "RandomTranslation" || t == "RandomRotation" || t == "RandomZoom")
    return std::make_unique<RandomAffineLayer>(spec, index, init.seed);
  if (t == "RandomContrast" || t == "RandomBrightness") return std::make_unique<RandomColorLayer>(spec, index, init.seed);
  throw Error(kErrInvalidArgument, "layer " + std::to_string(index) + " (\"" + spec.name + "\"): unknown type \"" + t + "\"");
}

}  // namespace cnn
