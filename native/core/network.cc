// The Network: builds the layers from the spec, owns the activation and gradient buffers, and runs
// the training step (forward, loss, backward, regularization, optimizer, deferred BN statistics).
// Buffers are sized for the largest batch seen so far and reused; steady-state steps allocate nothing.
#include "core/big_buffer.h"
#include "core/network.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <new>

#include "core/batch_parts.h"
#include "core/checked.h"
#include "core/error.h"
#include "core/layers/layer.h"
#include "core/losses.h"
#include "core/optimizers.h"
#include "core/parallel.h"
#include "core/thread_pool.h"

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

  bool profiling = false;
  StepProfile prof;
  static double now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  }
  // Adds the seconds from construction to destruction to *into; null (not profiling) does nothing.
  struct Timer {
    double* into;
    double start;
    explicit Timer(double* slot) : into(slot), start(slot ? now() : 0) {}
    ~Timer() {
      if (into) *into += now() - start;
    }
  };
  double* slot(std::vector<double>& v, size_t i) { return profiling ? &v[i] : nullptr; }
  double* slot(double& v) { return profiling ? &v : nullptr; }

  int capacity = 0;
  // replicas[i][p - 1]: layer i's replica for batch part p >= 1 (part 0 is the layer itself).
  std::vector<std::vector<std::unique_ptr<Layer>>> replicas;
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
    ensure_replicas(split_batch(std::max(n, kInferenceSlice)).count, part_capacity(std::max(n, kInferenceSlice)));
    try {
      grad_a.resize(size_t(n) * widest);
      grad_b.resize(size_t(n) * widest);
    } catch (const std::bad_alloc&) {
      throw Error(kErrOutOfMemory, "out of memory allocating the gradient buffers (" + std::to_string(n) + " x " +
                                       std::to_string(widest) + " floats, twice)");
    }
    capacity = n;
  }

  void ensure_replicas(int parts, int examples_per_part) {
    replicas.resize(layers.size());
    InitContext init{spec.seed, 0};  // the replicas' own initial values are dropped at once
    for (size_t i = 0; i < layers.size(); ++i) {
      auto& copies = replicas[i];
      try {
        while (int(copies.size()) < parts - 1) {
          copies.push_back(make_layer(spec.layers[i], int(i), init));
          copies.back()->read_values_from(*layers[i]);
          copies.back()->dy_is_preactivation = layers[i]->dy_is_preactivation;
        }
        for (auto& copy : copies) copy->reserve(examples_per_part);
      } catch (const std::bad_alloc&) {
        throw Error(kErrOutOfMemory, "out of memory allocating the batch parts' buffers of layer " + std::to_string(i) +
                                         " (\"" + layers[i]->spec().name + "\")");
      }
    }
  }

  Layer& part_layer(size_t i, int part) { return part == 0 ? *layers[i] : *replicas[i][size_t(part) - 1]; }
  bool runs_in_parts(size_t i, const BatchParts& parts, const RunContext& ctx) const {
    const Layer& l = *layers[i];
    if (parts.count == 1 || l.couples_examples(ctx)) return false;
    size_t uses = l.weight_uses_per_example();
    return uses == 0 || size_t(parts.first[1]) * uses >= kMinPartWeightUses;
  }

  const float* input_of(size_t i, const float* x) const { return i == 0 ? x : acts[i - 1].data(); }

  void forward(const float* x, int n, const RunContext& ctx) {
    BatchParts parts = split_batch(n);
    for (size_t i = 0; i < layers.size(); ++i) {
      Timer timer(ctx.training ? slot(prof.forward_s, i) : nullptr);
      const float* in = input_of(i, x);
      float* out = acts[i].data();
      if (!runs_in_parts(i, parts, ctx)) {
        layers[i]->forward(in, out, n, ctx);
        continue;
      }
      const size_t in_size = layers[i]->in_size(), out_size = layers[i]->out_size();
      ThreadPool::global().run_pinned(parts.count, [&](int p) {
        size_t first = size_t(parts.first[p]);
        RunContext part_ctx = ctx;
        part_ctx.example_offset += int64_t(first);  // dropout and augmentation draw per global example
        part_layer(i, p).forward(in + first * in_size, out + first * out_size, parts.first[p + 1] - parts.first[p],
                                 part_ctx);
      });
    }
  }

  // From the loss gradient in `grad` back to the first layer; every trainable gradient ends in the
  // layers' own Params (the parts' summed in part order).
  void backward(const float* x, int n, float* grad, float* other, const RunContext& ctx) {
    BatchParts parts = split_batch(n);
    for (size_t i = layers.size(); i-- > 0;) {
      Timer timer(slot(prof.backward_s, i));
      float* dx = i > 0 ? other : nullptr;
      if (!runs_in_parts(i, parts, ctx)) {
        layers[i]->backward(input_of(i, x), acts[i].data(), grad, dx, n);
      } else {
        for (int p = 1; p < parts.count; ++p) part_layer(i, p).allocate_gradients();
        const float* in = input_of(i, x);
        const float* out = acts[i].data();
        const size_t in_size = layers[i]->in_size(), out_size = layers[i]->out_size();
        ThreadPool::global().run_pinned(parts.count, [&](int p) {
          size_t first = size_t(parts.first[p]);
          part_layer(i, p).backward(in + first * in_size, out + first * out_size, grad + first * out_size,
                                    dx ? dx + first * in_size : nullptr, parts.first[p + 1] - parts.first[p]);
        });
        sum_part_gradients(i, parts.count);
      }
      std::swap(grad, other);
    }
  }

  void sum_part_gradients(size_t i, int count) {
    std::vector<Param>& own = layers[i]->params();
    for (size_t k = 0; k < own.size(); ++k) {
      if (!own[k].info.trainable) continue;
      float* total = own[k].grad.data();
      parallel_for(own[k].grad.size(), 4096, [&](size_t b, size_t e) {
        for (int p = 1; p < count; ++p) {
          const float* g = part_layer(i, p).params()[k].grad.data();
          for (size_t j = b; j < e; ++j) total[j] += g[j];
        }
      });
    }
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

  // An exponent of all ones is NaN or infinity; OR-ing integer compares of the exponent bits vectorizes
  // (with SSE2 too, which has no unsigned max), where a loop of isfinite() with an early exit does not.
  // Large parameters are checked in parallel.
  bool gradients_finite() const {
    std::atomic<bool> finite{true};
    for (const Param* p : params) {
      const float* g = p->grad.data();
      parallel_for_pinned(p->grad.size(), 16384, [&](size_t b, size_t e) {
        uint32_t bad = 0;
        for (size_t i = b; i < e; ++i) {
          uint32_t bits;
          std::memcpy(&bits, g + i, sizeof bits);
          bad |= uint32_t((bits & 0x7f800000u) == 0x7f800000u);
        }
        if (bad) finite.store(false, std::memory_order_relaxed);
      });
    }
    return finite.load();
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
  LossValue lv;
  {
    Impl::Timer timer(m.slot(m.prof.loss_s));
    lv = cross_entropy(m.acts.back().data(), labels, n, m.classes, m.fused_softmax, grad);
  }
  BatchResult r{lv.mean + m.penalty(), lv.correct, n};
  if (!std::isfinite(r.loss))
    throw Error(kErrNonFinite, "the loss became " + std::string(std::isnan(r.loss) ? "NaN" : "infinite") +
                                   " at iteration " + std::to_string(m.iterations + 1) +
                                   "; the parameters were left as they were before this batch");
  m.backward(x, n, grad, m.grad_b.data(), ctx);
  {
    Impl::Timer timer(m.slot(m.prof.update_s));
    m.apply_gradients();
    for (auto& layer : m.layers) layer->commit();
  }
  ++m.iterations;
  m.prof.steps += m.profiling ? 1 : 0;
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
  const RunContext shard_ctx{true, m.iterations, shard.offset};
  LossValue lv;
  if (n > 0) {
    m.check_labels(labels, n);
    m.ensure_capacity(n);
    m.forward(x, n, shard_ctx);
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
    m.backward(x, n, grad, m.grad_b.data(), shard_ctx);
  } else {
    for (size_t i = 0; i < grads.size(); ++i) std::fill(grads[i], grads[i] + sizes[i], 0.0f);
  }
  shard.sync->sum(grads.data(), sizes.data(), grads.size());
  Impl::Timer timer(m.slot(m.prof.update_s));  // with the moving statistics' sum below
  m.prof.steps += m.profiling ? 1 : 0;
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

void Network::set_profiling(bool on) {
  Impl& m = *impl_;
  m.profiling = on;
  if (!on) return;
  m.prof = StepProfile{};
  for (auto& layer : m.layers) m.prof.layers.push_back(layer->spec().name);
  m.prof.forward_s.assign(m.layers.size(), 0.0);
  m.prof.backward_s.assign(m.layers.size(), 0.0);
}

StepProfile Network::profile() const { return impl_->prof; }

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

void prefetch_examples(const void* data, size_t example_bytes, size_t count, const int32_t* idx, int n) {
  constexpr size_t kLine = 64;
  const char* base = static_cast<const char*>(data);
  for (int i = 0; i < n; ++i) {
    if (idx[i] < 0 || size_t(idx[i]) >= count) continue;
    const char* first = base + size_t(idx[i]) * example_bytes;
    for (size_t at = 0; at < example_bytes; at += kLine) __builtin_prefetch(first + at, 0, 1);
  }
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
