// The random augmentation layers of Keras 3: RandomFlip, RandomTranslation, RandomRotation, RandomZoom,
// RandomContrast, RandomBrightness. Active only in training; the identity in inference.
//
// Randomness: each example's parameters are drawn from the counter-based stream keyed by
// (layer seed or network seed, layer index, optimizer iteration), element (example * kDraws + draw).
// They depend on nothing else, so a run is the same for any thread count and a run resumed at
// iteration k draws exactly what an uninterrupted one would (the iteration is already part of the
// saved training state); nothing extra needs saving.
//
// The parameters drawn follow Keras (keras/src/layers/preprocessing/image_preprocessing/*.py): the
// same ranges and the same transform matrices (see augment_sampling.h for how they are applied).
// Backward passes the gradient through the same sampled transform: the transpose of the sampling for
// the geometric layers, elementwise (zero where the output was clipped) for contrast and brightness.
#pragma once
#include <vector>

#include "core/big_buffer.h"
#include "core/layers/augment_sampling.h"
#include "core/layers/layer.h"

namespace cnn {

class RandomImageLayer : public Layer {
 public:
  // Floats per example in sampled(): 8 for a transform matrix, 1 for a flip or a colour factor.
  RandomImageLayer(const LayerSpec& spec, int index, uint64_t network_seed, int per_example);
  void reserve(int max_batch) override;
  void forward(const float* x, float* y, int n, const RunContext& ctx) override;
  void backward(const float* x, const float* y, float* dy, float* dx, int n) override;

  // The parameters of the last training forward, per_example() floats per example; tests may set them
  // and call apply() to run the layer for given parameters.
  FloatBuffer& sampled() { return sampled_; }
  int per_example() const { return per_example_; }
  void apply(const float* x, float* y, int n);

 protected:
  // Draws example e's parameters into p from uniform(draw) = the draw-th uniform [0, 1) of example e.
  virtual void sample(int64_t e, uint64_t key, float* p) const = 0;
  virtual void apply_one(const float* x, float* y, const float* p) const = 0;
  virtual void backward_one(const float* x, const float* dy, float* dx, const float* p) const = 0;
  static double uniform(uint64_t key, int64_t e, int draw);

  ImageShape shape_;

 private:
  uint64_t seed_;
  int per_example_;
  bool last_training_ = false;
  FloatBuffer sampled_;
};

class RandomFlipLayer : public RandomImageLayer {
 public:
  RandomFlipLayer(const LayerSpec& spec, int index, uint64_t network_seed);

 protected:
  void sample(int64_t e, uint64_t key, float* p) const override;
  void apply_one(const float* x, float* y, const float* p) const override;
  void backward_one(const float* x, const float* dy, float* dx, const float* p) const override;

 private:
  bool horizontal_, vertical_;
};

// RandomTranslation, RandomRotation and RandomZoom: an affine transform per example.
class RandomAffineLayer : public RandomImageLayer {
 public:
  RandomAffineLayer(const LayerSpec& spec, int index, uint64_t network_seed);

 protected:
  void sample(int64_t e, uint64_t key, float* p) const override;
  void apply_one(const float* x, float* y, const float* p) const override;
  void backward_one(const float* x, const float* dy, float* dx, const float* p) const override;

 private:
  FillMode fill_;
  Interpolation interp_;
  float fill_value_;
};

// RandomContrast: (x - mean) * f + mean per channel, mean over the image; RandomBrightness: x + delta.
// Both clip to value_range.
class RandomColorLayer : public RandomImageLayer {
 public:
  RandomColorLayer(const LayerSpec& spec, int index, uint64_t network_seed);

 protected:
  void sample(int64_t e, uint64_t key, float* p) const override;
  void apply_one(const float* x, float* y, const float* p) const override;
  void backward_one(const float* x, const float* dy, float* dx, const float* p) const override;

 private:
  bool contrast_;
  float lo_, hi_;  // value_range
  std::vector<float> channel_means(const float* x) const;
};

// Keras's transform matrices (output pixel -> input point), 8 floats [a0 a1 a2 b0 b1 b2 c0 c1].
void translation_matrix(float dx, float dy, float t[8]);
void rotation_matrix(float angle_degrees, int h, int w, float t[8]);
void zoom_matrix(float zoom_w, float zoom_h, int h, int w, float t[8]);

}  // namespace cnn
