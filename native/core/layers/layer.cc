#include "core/layers/layer.h"

#include <new>

#include "core/checked.h"
#include "core/error.h"
#include "core/rng.h"

namespace cnn {

uint64_t InitContext::next_key() { return derive_key(derive_key(seed, 0x1417), next_param++); }

size_t shape_size(const std::vector<int>& shape, int64_t limit) {
  int64_t s = 1;
  for (int d : shape) s = checked_mul(s, d, limit, "the shape " + shape_text(shape) + "'s size");
  return size_t(s);
}

std::string shape_text(const std::vector<int>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + ")";
}

Layer::Layer(const LayerSpec& spec, int index) : spec_(spec), index_(index) {
  for (int d : spec.input_shape) CNN_CHECK(d > 0, spec.name + ": input shape " + shape_text(spec.input_shape) + " has an empty dimension");
  CNN_CHECK(!spec.input_shape.empty(), spec.name + ": input shape is missing");
  in_size_ = with_layer_name(spec.name, [&] { return shape_size(spec.input_shape); });
}

void Layer::set_output_shape(std::vector<int> shape) {
  for (int d : shape) CNN_CHECK(d > 0, spec_.name + ": output shape " + shape_text(shape) + " is empty");
  if (!spec_.output_shape.empty())
    CNN_CHECK(spec_.output_shape == shape, spec_.name + ": declared output shape " + shape_text(spec_.output_shape) +
                                              " but the layer computes " + shape_text(shape));
  out_size_ = with_layer_name(spec_.name, [&] { return shape_size(shape); });
  out_shape_ = std::move(shape);
}

Param& Layer::add_param(const std::string& name, std::vector<int> shape, bool trainable) {
  Param p;
  p.info.layer = spec_.name;
  p.info.name = name;
  p.info.shape = std::move(shape);
  p.info.trainable = trainable;
  size_t size = with_layer_name(spec_.name, [&] { return shape_size(p.info.shape, kMaxParamSize); });
  try {
    p.value.assign(size, 0.0f);
    if (trainable) p.grad.assign(size, 0.0f);
  } catch (const std::bad_alloc&) {
    throw Error(kErrOutOfMemory, spec_.name + ": out of memory allocating its " + name + " " + shape_text(p.info.shape) +
                                     " (" + std::to_string(size) + " floats" + (trainable ? " and their gradients)" : ")"));
  }
  params_.push_back(std::move(p));
  return params_.back();
}

void Layer::read_values_from(const Layer& master) {
  CNN_CHECK(master.params_.size() == params_.size() && !master.values_from_, spec_.name + ": replica of a different layer");
  values_from_ = &master;
  for (Param& p : params_) {
    std::vector<float>().swap(p.value);
    std::vector<float>().swap(p.grad);
  }
}

void Layer::allocate_gradients() {
  for (size_t i = 0; i < params_.size(); ++i) {
    Param& p = params_[i];
    size_t size = values_from_ ? values_from_->params_[i].value.size() : p.value.size();
    if (!p.info.trainable || p.grad.size() == size) continue;
    try {
      p.grad.assign(size, 0.0f);
    } catch (const std::bad_alloc&) {
      throw Error(kErrOutOfMemory, spec_.name + ": out of memory allocating a batch part's gradients of its " + p.info.name +
                                       " " + shape_text(p.info.shape));
    }
  }
}

}  // namespace cnn
