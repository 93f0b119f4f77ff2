#include "core/layers/pooling.h"

#include "core/error.h"
#include "core/parallel.h"
#include "core/thread_pool.h"

namespace cnn {

Pool2DLayer::Pool2DLayer(const LayerSpec& spec, int index, bool is_max) : Layer(spec, index), is_max_(is_max) {
  const std::string& nm = spec.name;
  CNN_CHECK(spec.input_shape.size() == 3, nm + ": pooling needs a 3-D input per example, got " + shape_text(spec.input_shape));
  for (int i = 0; i < 2; ++i) {
    CNN_CHECK(spec.pool_size[i] > 0, nm + ": pool_size must be positive");
    CNN_CHECK(spec.strides[i] > 0, nm + ": strides must be positive");
  }
  const auto& s = spec.input_shape;
  geo_ = with_layer_name(nm, [&] {
    return kernels::make_pool_geometry(1, s[0], s[1], s[2], spec.pool_size[0], spec.pool_size[1], spec.strides[0],
                                       spec.strides[1], spec.padding_same);
  });
  set_output_shape({geo_.out_h, geo_.out_w, s[2]});
}

void Pool2DLayer::reserve(int max_batch) {
  if (is_max_) argmax_.resize(size_t(max_batch) * out_size_);
}

void Pool2DLayer::forward(const float* x, float* y, int n, const RunContext&) {
  ThreadPool::global().run(n, [&](int i) {
    const float* xi = x + size_t(i) * in_size_;
    float* yi = y + size_t(i) * out_size_;
    if (is_max_)
      kernels::maxpool_forward(geo_, xi, yi, argmax_.data() + size_t(i) * out_size_);
    else
      kernels::avgpool_forward(geo_, xi, yi);
  });
}

void Pool2DLayer::backward(const float*, const float*, float* dy, float* dx, int n) {
  if (!dx) return;
  ThreadPool::global().run(n, [&](int i) {
    const float* dyi = dy + size_t(i) * out_size_;
    float* dxi = dx + size_t(i) * in_size_;
    if (is_max_)
      kernels::maxpool_backward(geo_, dyi, argmax_.data() + size_t(i) * out_size_, dxi);
    else
      kernels::avgpool_backward(geo_, dyi, dxi);
  });
}

GlobalAveragePooling2DLayer::GlobalAveragePooling2DLayer(const LayerSpec& spec, int index) : Layer(spec, index) {
  CNN_CHECK(spec.input_shape.size() == 3,
            spec.name + ": GlobalAveragePooling2D needs a 3-D input per example, got " + shape_text(spec.input_shape));
  plane_ = spec.input_shape[0] * spec.input_shape[1];
  channels_ = spec.input_shape[2];
  set_output_shape({channels_});
}

void GlobalAveragePooling2DLayer::forward(const float* x, float* y, int n, const RunContext&) {
  parallel_for(size_t(n), 1, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) {
      const float* xi = x + i * in_size_;
      for (int c = 0; c < channels_; ++c) {
        double s = 0;
        for (int p = 0; p < plane_; ++p) s += xi[size_t(p) * channels_ + c];
        y[i * channels_ + c] = float(s / plane_);
      }
    }
  });
}

void GlobalAveragePooling2DLayer::backward(const float*, const float*, float* dy, float* dx, int n) {
  if (!dx) return;
  float inv = 1.0f / float(plane_);
  parallel_for(size_t(n), 1, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) {
      float* dxi = dx + i * in_size_;
      const float* dyi = dy + i * channels_;
      for (int p = 0; p < plane_; ++p)
        for (int c = 0; c < channels_; ++c) dxi[size_t(p) * channels_ + c] = dyi[c] * inv;
    }
  });
}

}  // namespace cnn
