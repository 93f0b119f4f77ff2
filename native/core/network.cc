// The Network: builds the layers from the spec, owns the activation and gradient buffers, and runs
// the training step (forward, loss, backward, regularization, optimizer, deferred BN statistics).
// Buffers are sized for the largest batch seen so far and reused; steady-state steps allocate nothing.
#include "core/big_buffer.h"
#include "core/network.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>

#include "core/checked.h"
#include "core/error.h"
#include "core/layers/layer.h"
#include "core/losses.h"
#include "core/optimizers.h"
#include "core/parallel.h"

namespace cnn {

namespace {
// Inference runs in slices of at most this many examples (or the training batch, if larger), so a big
// evaluation batch does not grow every buffer.
constexpr int kInferenceSlice = 64;

bool has_activation(const LayerSpec& l) { return l.type == "Conv2D" || l.type == "Dense" || l.type == "Activation"; }
}  // namespace

struct Network::Impl {
  NetworkSpec spec;
  std::vector<std::unique_ptr<Layer>> layers;
  std::vector<Param*> params;
  std::vector<ParamInfo> infos;
  Optimizer optimizer;
  std::vector<std::vector<std::vector<float>>> slots;  // [param][slot] (empty for non-trainable)
  int64_t iterations = 0;
  int classes = 0;
  size_t input_size = 0;
  bool fused_softmax = false;

  int capacity = 0;
  std::vector<FloatBuffer> acts;  // acts[i]: output of layer i, [capacity, out_size]
  FloatBuffer grad_a, grad_b;     // ping-pong gradients, [capacity, widest layer]
  std::vector<float*> slot_ptrs;          // one parameter's slots, handed to the optimizer

  explicit Impl(const NetworkSpec& s) : spec(s), optimizer(s.optimizer) {}

  // Running out of memory here names the layer whose buffers were being sized (std::bad_alloc alone
  // says nothing a user can act on). capacity is only raised once every buffer is in place.
  void ensure_capacity(int n) {
    if (n <= capacity) return;
    size_t widest = input_size;
    acts.resize(layers.size());
    for (size_t i = 0; i < layers.size(); ++i) {
      const Layer& l = *layers[i];
      try {
        acts[i].resize(size_t(n) * l.out_size());
        widest = std::max(widest, l.out_size());
        layers[i]->reserve(n);
      } catch (const std::bad_alloc&) {
        throw Error(kErrOutOfMemory, "out of memory allocating the buffers of layer " + std::to_string(i) + " (\"" +
                                         l.spec().name + "\", output " + shape_text(l.output_shape()) +
                                         ") for a batch of " + std::to_string(n));
      }
    }
    try {
      grad_a.resize(size_t(n) * widest);
      grad_b.resize(size_t(n) * widest);
    } catch (const std::bad_alloc&) {
      throw Error(kErrOutOfMemory, "out of memory allocating the gradient buffers (" + std::to_string(n) + " x " +
                                       std::to_string(widest) + " floats, twice)");
    }
    capacity = n;
  }

  const float* input_of(size_t i, const float* x) const { return i == 0 ? x : acts[i - 1].data(); }

  void forward(const float* x, int n, const RunContext& ctx) {
    for (size_t i = 0; i < layers.size(); ++i) layers[i]->forward(input_of(i, x), acts[i].data(), n, ctx);
  }

  void check_labels(const int32_t* labels, int n) const {
    for (int i = 0; i < n; ++i)
      CNN_CHECK(labels[i] >= 0 && labels[i] < classes,
                "label " + std::to_string(labels[i]) + " of example " + std::to_string(i) + " is outside [0, " +
                    std::to_string(classes) + ")");
  }

  double penalty() const {
    double total = 0;
    for (const Param* p : params) {
      const RegularizerSpec& r = p->regularizer;
      if (r.l1 == 0 && r.l2 == 0) continue;
      double a = 0, s = 0;
      for (float w : p->value) {
        a += std::fabs(w);
        s += double(w) * w;
      }
      total += r.l1 * a + r.l2 * s;
    }
    return total;
  }

  void add_regularization_gradients() {
    for (Param* p : params) {
      const RegularizerSpec& r = p->regularizer;
      if (!p->info.trainable || (r.l1 == 0 && r.l2 == 0)) continue;
      float l1 = float(r.l1), two_l2 = float(2 * r.l2);
      for (size_t i = 0; i < p->value.size(); ++i) {
        float w = p->value[i];
        float sign = w > 0 ? 1.0f : (w < 0 ? -1.0f : 0.0f);
        p->grad[i] += l1 * sign + two_l2 * w;
      }
    }
  }

  // An exponent of all ones is NaN or infinity; an integer max over the exponent bits vectorizes, where
  // a loop of isfinite() with an early exit does not.
  bool gradients_finite() const {
    uint32_t worst = 0;
    for (const Param* p : params) {
      const float* g = p->grad.data();
      for (size_t i = 0; i < p->grad.size(); ++i) {
        uint32_t bits;
        std::memcpy(&bits, g + i, sizeof bits);
        worst = std::max(worst, bits & 0x7f800000u);
      }
    }
    return worst != 0x7f800000u;
  }

  // The step after backward (and, with several processes, after the gradients' sum): the penalty's
  // gradient, the finite check, then the optimizer's update of every trainable parameter.
  void apply_gradients() {
    add_regularization_gradients();
    if (!gradients_finite())
      throw Error(kErrNonFinite, "a gradient became NaN or infinite at iteration " + std::to_string(iterations + 1) +
                                     "; the parameters were left as they were before this batch");
    slot_ptrs.resize(size_t(optimizer.slots()));
    for (size_t i = 0; i < params.size(); ++i) {
      Param& p = *params[i];
      if (!p.info.trainable) continue;
      for (size_t s = 0; s < slot_ptrs.size(); ++s) slot_ptrs[s] = slots[i][s].data();
      optimizer.update(p.value.data(), p.grad.data(), slot_ptrs.data(), p.value.size(), iterations);
    }
  }
};

Network::Network(const NetworkSpec& spec) : impl_(std::make_unique<Impl>(spec)) {
  Impl& m = *impl_;
  CNN_CHECK(!spec.layers.empty(), "the network has no layers");
  CNN_CHECK(!spec.input_shape.empty(), "the network's input_shape is missing");
  check_loss_name(spec.loss);
  for (int d : spec.input_shape) CNN_CHECK(d > 0, "the network's input_shape " + shape_text(spec.input_shape) + " has an empty dimension");
  m.input_size = with_layer_name("input_shape", [&] { return shape_size(spec.input_shape); });
  InitContext init{spec.seed, 0};
  std::vector<int> shape = spec.input_shape;
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    LayerSpec& ls = m.spec.layers[i];
    if (ls.name.empty()) ls.name = ls.type + "_" + std::to_string(i);
    if (ls.input_shape.empty()) ls.input_shape = shape;
    CNN_CHECK(ls.input_shape == shape, "layer " + std::to_string(i) + " (\"" + ls.name + "\") declares input shape " +
                                           shape_text(ls.input_shape) + " but receives " + shape_text(shape));
    m.layers.push_back(make_layer(ls, int(i), init));
    shape = m.layers.back()->output_shape();
    ls.output_shape = shape;
  }
  const LayerSpec& last = m.spec.layers.back();
  m.classes = int(m.layers.back()->out_size());
  CNN_CHECK(m.classes >= 1, "the last layer has no outputs");
  m.fused_softmax = has_activation(last) && last.activation == "softmax" && shape.size() == 1;
  m.layers.back()->dy_is_preactivation = m.fused_softmax;
  for (auto& layer : m.layers)
    for (Param& p : layer->params()) {
      m.params.push_back(&p);
      m.infos.push_back(p.info);
    }
  int slots = m.optimizer.slots();
  m.slots.resize(m.params.size());
  for (size_t i = 0; i < m.params.size(); ++i)
    if (m.params[i]->info.trainable) {
      try {
        m.slots[i].assign(size_t(slots), std::vector<float>(m.params[i]->value.size(), 0.0f));
      } catch (const std::bad_alloc&) {
        const ParamInfo& p = m.params[i]->info;
        throw Error(kErrOutOfMemory, p.layer + ": out of memory allocating the optimizer's state for its " + p.name +
                                         " " + shape_text(p.shape));
      }
    }
}

Network::~Network() = default;

const NetworkSpec& Network::spec() const { return impl_->spec; }
int Network::num_classes() const { return impl_->classes; }
size_t Network::input_size() const { return impl_->input_size; }
const std::vector<ParamInfo>& Network::params() const { return impl_->infos; }

float* Network::param_data(size_t i) {
  CNN_CHECK(i < impl_->params.size(), "parameter index out of range");
  return impl_->params[i]->value.data();
}
size_t Network::param_size(size_t i) const {
  CNN_CHECK(i < impl_->params.size(), "parameter index out of range");
  return impl_->params[i]->value.size();
}

int64_t Network::iterations() const { return impl_->iterations; }
void Network::set_iterations(int64_t it) {
  CNN_CHECK(it >= 0, "iterations must be >= 0");
  impl_->iterations = it;
}
int Network::optimizer_slots() const { return impl_->optimizer.slots(); }
void Network::set_learning_rate(double lr) {
  impl_->optimizer.set_learning_rate(lr);  // validates first, so the spec never holds a refused value
  impl_->spec.optimizer.learning_rate = lr;
}
float* Network::optimizer_slot(size_t param, int slot) {
  CNN_CHECK(param < impl_->params.size(), "parameter index out of range");
  CNN_CHECK(impl_->params[param]->info.trainable, "non-trainable parameters have no optimizer state");
  CNN_CHECK(slot >= 0 && slot < impl_->optimizer.slots(), "optimizer slot out of range");
  return impl_->slots[param][size_t(slot)].data();
}

BatchResult Network::train_batch(const float* x, const int32_t* labels, int n) {
  Impl& m = *impl_;
  CNN_CHECK(n >= 1, "train_batch needs at least one example");
  CNN_CHECK(x && labels, "train_batch needs inputs and labels");
  m.check_labels(labels, n);
  m.ensure_capacity(n);
  RunContext ctx{true, m.iterations};
  m.forward(x, n, ctx);
  float* grad = m.grad_a.data();
  LossValue lv = cross_entropy(m.acts.back().data(), labels, n, m.classes, m.fused_softmax, grad);
  BatchResult r{lv.mean + m.penalty(), lv.correct, n};
  if (!std::isfinite(r.loss))
    throw Error(kErrNonFinite, "the loss became " + std::string(std::isnan(r.loss) ? "NaN" : "infinite") +
                                   " at iteration " + std::to_string(m.iterations + 1) +
                                   "; the parameters were left as they were before this batch");
  float* other = m.grad_b.data();
  for (size_t i = m.layers.size(); i-- > 0;) {
    m.layers[i]->backward(m.input_of(i, x), m.acts[i].data(), grad, i > 0 ? other : nullptr, n);
    std::swap(grad, other);
  }
  m.apply_gradients();
  for (auto& layer : m.layers) layer->commit();
  ++m.iterations;
  return r;
}

// Mirrors train_batch; what differs is marked. Every process makes the same calls to shard.sync in the
// same order, whatever its n (0 included), so none waits for a sum another never starts.
BatchResult Network::train_shard(const float* x, const int32_t* labels, int n, const Shard& shard) {
  Impl& m = *impl_;
  CNN_CHECK(shard.sync != nullptr, "train_shard needs a StepSync");
  CNN_CHECK(shard.global_n >= 1 && n >= 0 && shard.offset >= 0 && int64_t(shard.offset) + n <= shard.global_n,
            "train_shard: the shard lies outside its global batch");
  CNN_CHECK(n == 0 || (x && labels), "train_shard needs inputs and labels");
  const float weight = float(double(n) / shard.global_n);
  LossValue lv;
  if (n > 0) {
    m.check_labels(labels, n);
    m.ensure_capacity(n);
    m.forward(x, n, RunContext{true, m.iterations, shard.offset});
    lv = cross_entropy(m.acts.back().data(), labels, n, m.classes, m.fused_softmax, m.grad_a.data());
  }
  // The global batch's loss and correct count; a non-finite loss anywhere stops every process here.
  double totals[2] = {lv.mean * n, double(lv.correct)};
  shard.sync->sum(totals, 2);
  BatchResult r{totals[0] / shard.global_n + m.penalty(), int(totals[1]), shard.global_n};
  if (!std::isfinite(r.loss))
    throw Error(kErrNonFinite, "the loss became " + std::string(std::isnan(r.loss) ? "NaN" : "infinite") +
                                   " at iteration " + std::to_string(m.iterations + 1) +
                                   "; the parameters were left as they were before this batch");
  std::vector<float*> grads;
  std::vector<size_t> sizes;
  for (Param* p : m.params)
    if (p->info.trainable) {
      grads.push_back(p->grad.data());
      sizes.push_back(p->grad.size());
    }
  if (n > 0) {
    // (p - y) / n becomes (p - y) / global_n: backward is linear in dy, so every gradient comes out
    // weighted by n / global_n and the sum over processes is the global batch's mean gradient.
    float* grad = m.grad_a.data();
    for (size_t i = 0, len = size_t(n) * m.classes; i < len; ++i) grad[i] *= weight;
    float* other = m.grad_b.data();
    for (size_t i = m.layers.size(); i-- > 0;) {
      m.layers[i]->backward(m.input_of(i, x), m.acts[i].data(), grad, i > 0 ? other : nullptr, n);
      std::swap(grad, other);
    }
  } else {
    for (size_t i = 0; i < grads.size(); ++i) std::fill(grads[i], grads[i] + sizes[i], 0.0f);
  }
  shard.sync->sum(grads.data(), sizes.data(), grads.size());
  m.apply_gradients();  // after the sum: the penalty counts once, as in one process
  if (n > 0)
    for (auto& layer : m.layers) layer->commit();
  // Non-trainable values (BN moving statistics) are averaged, weighted by examples: linear in the
  // batch statistics, so this equals a moving average of the shards' weighted statistics.
  std::vector<float*> fixed;
  sizes.clear();
  for (Param* p : m.params)
    if (!p->info.trainable) {
      for (float& v : p->value) v *= weight;
      fixed.push_back(p->value.data());
      sizes.push_back(p->value.size());
    }
  if (!fixed.empty()) shard.sync->sum(fixed.data(), sizes.data(), fixed.size());
  ++m.iterations;
  return r;
}

BatchResult Network::evaluate_batch(const float* x, const int32_t* labels, int n, float* probs) {
  Impl& m = *impl_;
  CNN_CHECK(n >= 1, "evaluate_batch needs at least one example");
  CNN_CHECK(x != nullptr, "evaluate_batch needs inputs");
  if (labels) m.check_labels(labels, n);
  int slice = std::max(m.capacity, kInferenceSlice);
  m.ensure_capacity(std::min(n, slice));
  RunContext ctx{false, m.iterations};
  BatchResult r{0, 0, n};
  double loss_sum = 0;
  for (int first = 0; first < n; first += slice) {
    int count = std::min(slice, n - first);
    m.forward(x + size_t(first) * m.input_size, count, ctx);
    const float* out = m.acts.back().data();
    if (probs) std::memcpy(probs + size_t(first) * m.classes, out, size_t(count) * m.classes * sizeof(float));
    if (labels) {
      LossValue lv = cross_entropy(out, labels + first, count, m.classes, m.fused_softmax, nullptr);
      loss_sum += lv.mean * count;
      r.correct += lv.correct;
    }
  }
  if (labels) r.loss = loss_sum / n + m.penalty();
  return r;
}

std::vector<std::vector<float>> Network::forward_all(const float* x) {
  Impl& m = *impl_;
  CNN_CHECK(x != nullptr, "forward_all needs an input");
  m.ensure_capacity(1);
  m.forward(x, 1, RunContext{false, m.iterations});
  std::vector<std::vector<float>> outs;
  for (size_t i = 0; i < m.layers.size(); ++i)
    outs.emplace_back(m.acts[i].begin(), m.acts[i].begin() + m.layers[i]->out_size());
  return outs;
}

void assemble_batch(const uint8_t* images, size_t example_size, const int32_t* idx, int n, float scale, float offset,
                    float* out) {
  parallel_for(size_t(n), 8, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) {
      const uint8_t* src = images + size_t(idx[i]) * example_size;
      float* dst = out + i * example_size;
      for (size_t j = 0; j < example_size; ++j) dst[j] = float(src[j]) * scale + offset;
    }
  });
}

}  // namespace cnn
