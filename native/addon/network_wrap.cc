// The Network class seen from JavaScript. Training and evaluation run on libuv's worker threads
// (AsyncProgressQueueWorker / AsyncWorker) over plain pointers into typed arrays that the worker keeps
// referenced; the JavaScript side sets cancel[0] = 1 to stop after the batch in flight.
#include <napi.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <vector>

#include "addon/convert.h"
#include "addon/errors.h"
#include "addon/exports.h"
#include "addon/mpi_bridge.h"
#include "core/error.h"
#include "core/network.h"

namespace cnn_addon {

namespace {

// The largest batch the workers take (TypeScript's batch_size range is the same).
constexpr int kMaxBatch = 65536;

// What a worker reads: examples are uint8 pixels, turned into floats (pixel * scale + offset) one batch at
// a time, or float32 rows already preprocessed by the caller (`floats`), copied into the batch as they are.
struct DataView {
  const uint8_t* images = nullptr;
  const float* floats = nullptr;
  const uint8_t* labels = nullptr;
  size_t example_size = 0;
  size_t count = 0;
  float scale = 1, offset = 0;
};

struct TrainProgress {
  int batches;
  int seen;
  int correct;
  double loss_sum;  // sum over batches of batch loss * batch size
};

class NetworkWrap : public Napi::ObjectWrap<NetworkWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit NetworkWrap(const Napi::CallbackInfo& info);

  cnn::Network& net() { return *net_; }
  std::atomic<bool> busy{false};

 private:
  void require_idle(Napi::Env env) {
    if (busy.load()) throw make_error(env, "ERR_BUSY", "this network is already training or evaluating");
  }
  size_t check_param(const Napi::CallbackInfo& info, size_t arg);

  Napi::Value Params(const Napi::CallbackInfo& info);
  Napi::Value GetParam(const Napi::CallbackInfo& info);
  Napi::Value SetParam(const Napi::CallbackInfo& info);
  Napi::Value OptimizerSlots(const Napi::CallbackInfo& info);
  Napi::Value GetIterations(const Napi::CallbackInfo& info);
  Napi::Value SetIterations(const Napi::CallbackInfo& info);
  Napi::Value SetLearningRate(const Napi::CallbackInfo& info);
  Napi::Value GetSlot(const Napi::CallbackInfo& info);
  Napi::Value SetSlot(const Napi::CallbackInfo& info);
  Napi::Value NumClasses(const Napi::CallbackInfo& info);
  Napi::Value InputSize(const Napi::CallbackInfo& info);
  Napi::Value TrainBatches(const Napi::CallbackInfo& info);
  Napi::Value Evaluate(const Napi::CallbackInfo& info);
  Napi::Value ForwardAll(const Napi::CallbackInfo& info);
  Napi::Value SetProfiling(const Napi::CallbackInfo& info);
  Napi::Value Profile(const Napi::CallbackInfo& info);

  std::unique_ptr<cnn::Network> net_;
};

// Keeps JS objects alive for the duration of a worker.
class KeepAlive {
 public:
  void hold(const Napi::Value& v) { refs_.emplace_back(Napi::Persistent(v.As<Napi::Object>())); }

 private:
  std::vector<Napi::ObjectReference> refs_;
};

// The core's cross-entropy reads probs[label] unchecked: every label is checked here, on the main
// thread, before a worker sees it (one pass over a byte per example).
void require_labels_below(Napi::Env env, const uint8_t* labels, size_t count, int classes) {
  for (size_t i = 0; i < count; ++i) {
    if (labels[i] >= classes) {
      throw make_error(env, "ERR_BAD_INPUT",
                       "labels[" + std::to_string(i) + "] is " + std::to_string(labels[i]) +
                           ", not below the network's " + std::to_string(classes) + " classes");
    }
  }
}

DataView read_data(const Napi::CallbackInfo& info, size_t images_arg, size_t labels_arg, const Napi::Object& opts,
                   size_t example_size, int classes, KeepAlive& keep) {
  Napi::Env env = info.Env();
  const Napi::Value& pixels = info[images_arg];
  const bool floats = pixels.IsTypedArray() && pixels.As<Napi::TypedArray>().TypedArrayType() == napi_float32_array;
  auto labels = require_uint8(info[labels_arg], "labels");
  DataView d;
  d.example_size = example_size;
  d.count = labels.ElementLength();
  size_t elements = 0;
  if (floats) {
    auto images = pixels.As<Napi::Float32Array>();
    elements = images.ElementLength();
    d.floats = images.Data();
  } else {
    require(env, pixels.IsTypedArray() && pixels.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array,
            "images must be a Uint8Array or a Float32Array");
    auto images = pixels.As<Napi::Uint8Array>();
    elements = images.ElementLength();
    d.images = images.Data();
  }
  require(env, elements == d.count * example_size, "images must hold labels.length examples of the network's input size");
  d.labels = labels.Data();
  require_labels_below(env, d.labels, d.count, classes);
  d.scale = static_cast<float>(get_number(opts, "scale", 1.0));
  d.offset = static_cast<float>(get_number(opts, "offset", 0.0));
  keep.hold(pixels);
  keep.hold(labels);
  return d;
}

// Gathers examples idx[0..n) into the float batch `out`, from either kind of data.
void gather(const DataView& d, const int32_t* idx, int n, float* out) {
  if (!d.floats) {
    cnn::assemble_batch(d.images, d.example_size, idx, n, d.scale, d.offset, out);
    return;
  }
  for (int i = 0; i < n; ++i)
    std::copy(d.floats + size_t(idx[i]) * d.example_size, d.floats + (size_t(idx[i]) + 1) * d.example_size,
              out + size_t(i) * d.example_size);
}

// Starts loading the examples of the batch after this one (see cnn::prefetch_examples).
void prefetch(const DataView& d, const int32_t* idx, int n) {
  if (d.floats)
    cnn::prefetch_examples(d.floats, d.example_size * sizeof(float), d.count, idx, n);
  else
    cnn::prefetch_examples(d.images, d.example_size, d.count, idx, n);
}

class TrainWorker : public Napi::AsyncProgressQueueWorker<TrainProgress> {
 public:
  TrainWorker(Napi::Env env, NetworkWrap* wrap, DataView data, const int32_t* order, size_t order_len, int batch_size,
              int first_batch, int last_batch, const int32_t* cancel, Napi::Function on_progress,
              double distributed_timeout)
      : Napi::AsyncProgressQueueWorker<TrainProgress>(env), deferred_(Napi::Promise::Deferred::New(env)), wrap_(wrap),
        data_(data), order_(order), order_len_(order_len), batch_size_(batch_size), first_batch_(first_batch),
        last_batch_(last_batch), cancel_(cancel), distributed_timeout_(distributed_timeout) {
    if (!on_progress.IsEmpty()) on_progress_ = Napi::Persistent(on_progress);
    has_progress_ = !on_progress.IsEmpty();
    wrap_ref_ = Napi::Persistent(wrap->Value());
  }
  KeepAlive keep;
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute(const ExecutionProgress& progress) override {
    std::string message;
    if (!run_job([&] { train_batches(progress); }, code_, message)) SetError(message);
  }
  void train_batches(const ExecutionProgress& progress) {
    if (distributed_timeout_ > 0) return train_shards(progress);
    cnn::Network& net = wrap_->net();
    std::vector<float> x(size_t(batch_size_) * data_.example_size);
    std::vector<int32_t> y(batch_size_);
    for (int b = first_batch_; b < last_batch_; ++b) {
      if (__atomic_load_n(cancel_, __ATOMIC_ACQUIRE)) {
        cancelled_ = true;
        break;
      }
      size_t start = size_t(b) * batch_size_;
      int n = int(std::min<size_t>(batch_size_, order_len_ - start));
      for (int i = 0; i < n; ++i) {
        int32_t idx = order_[start + i];
        if (idx < 0 || size_t(idx) >= data_.count) throw cnn::Error(cnn::kErrInvalidArgument, "order holds an index out of range");
        y[i] = data_.labels[idx];
      }
      gather(data_, order_ + start, n, x.data());
      if (b + 1 < last_batch_ && start + n < order_len_)
        prefetch(data_, order_ + start + n, int(std::min<size_t>(batch_size_, order_len_ - start - n)));
      cnn::BatchResult r = net.train_batch(x.data(), y.data(), n);
      state_.batches += 1;
      state_.seen += n;
      state_.correct += r.correct;
      state_.loss_sum += r.loss * n;
      if (has_progress_) progress.Send(&state_, 1);  // else the JS thread would wake per batch for nothing
    }
  }
  // Data-parallel: every rank runs every batch, on its share of it (the first batch % ranks ranks take
  // one example more); the totals are the global batch's. No rank leaves the loop alone: the stop flag
  // travels with each step's sums, and all ranks stop after the same batch.
  void train_shards(const ExecutionProgress& progress) {
    cnn::Network& net = wrap_->net();
    const int rank = mpi_rank(), ranks = mpi_size();
    MpiStepSync sync(cancel_, distributed_timeout_);
    struct Timed {  // the time in sums is reported however the loop ends
      MpiStepSync& s;
      double& out;
      ~Timed() { out = s.seconds(); }
    } timed{sync, sync_seconds_};
    const int most = batch_size_ / ranks + 1;
    std::vector<float> x(size_t(most) * data_.example_size);
    std::vector<int32_t> y(most);
    for (int b = first_batch_; b < last_batch_; ++b) {
      size_t start = size_t(b) * batch_size_;
      int global_n = int(std::min<size_t>(batch_size_, order_len_ - start));
      int base = global_n / ranks, extra = global_n % ranks;
      int n = base + (rank < extra ? 1 : 0);
      int offset = rank * base + std::min(rank, extra);
      for (int i = 0; i < n; ++i) {
        int32_t idx = order_[start + offset + i];
        if (idx < 0 || size_t(idx) >= data_.count) throw cnn::Error(cnn::kErrInvalidArgument, "order holds an index out of range");
        y[i] = data_.labels[idx];
      }
      if (n > 0) gather(data_, order_ + start + offset, n, x.data());
      if (b + 1 < last_batch_ && start + global_n < order_len_) {
        size_t next = start + global_n;
        int next_n = int(std::min<size_t>(batch_size_, order_len_ - next));
        int next_offset = rank * (next_n / ranks) + std::min(rank, next_n % ranks);
        prefetch(data_, order_ + next + next_offset, next_n / ranks + (rank < next_n % ranks ? 1 : 0));
      }
      cnn::BatchResult r = net.train_shard(x.data(), y.data(), n, cnn::Shard{global_n, offset, &sync});
      state_.batches += 1;
      state_.seen += r.count;
      state_.correct += r.correct;
      state_.loss_sum += r.loss * r.count;
      if (has_progress_) progress.Send(&state_, 1);  // else the JS thread would wake per batch for nothing
      if (sync.stop_agreed()) {
        cancelled_ = true;
        break;
      }
    }
  }
  void OnProgress(const TrainProgress* p, size_t count) override {
    if (on_progress_.IsEmpty() || count == 0) return;
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    on_progress_.Call({Napi::Number::New(env, p->batches), Napi::Number::New(env, p->seen),
                       Napi::Number::New(env, p->correct), Napi::Number::New(env, p->loss_sum)});
  }
  Napi::Object Result(Napi::Env env) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("batches", state_.batches);
    o.Set("seen", state_.seen);
    o.Set("correct", state_.correct);
    o.Set("lossSum", state_.loss_sum);
    o.Set("cancelled", cancelled_);
    if (distributed_timeout_ > 0) o.Set("syncSeconds", sync_seconds_);
    return o;
  }
  void OnOK() override {
    wrap_->busy = false;
    deferred_.Resolve(Result(Env()));
  }
  void OnError(const Napi::Error& e) override {
    wrap_->busy = false;
    Napi::Error err = make_error(Env(), code_, e.Message());
    err.Set("progress", Result(Env()));  // what was done before the failure
    deferred_.Reject(err.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  NetworkWrap* wrap_;
  Napi::ObjectReference wrap_ref_;
  DataView data_;
  const int32_t* order_;
  size_t order_len_;
  int batch_size_, first_batch_, last_batch_;
  const int32_t* cancel_;
  double distributed_timeout_;  // > 0: data-parallel over the MPI ranks, with this deadline per sum
  double sync_seconds_ = 0;
  Napi::FunctionReference on_progress_;
  TrainProgress state_{0, 0, 0, 0.0};
  bool has_progress_ = false;
  bool cancelled_ = false;
  std::string code_;
};

class EvalWorker : public Napi::AsyncWorker {
 public:
  EvalWorker(Napi::Env env, NetworkWrap* wrap, DataView data, int batch_size, bool want_probs)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), wrap_(wrap), data_(data),
        batch_size_(batch_size), want_probs_(want_probs) {
    wrap_ref_ = Napi::Persistent(wrap->Value());
  }
  KeepAlive keep;
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    std::string message;
    if (!run_job([&] { evaluate_all(); }, code_, message)) SetError(message);
  }
  void evaluate_all() {
    cnn::Network& net = wrap_->net();
    const int classes = net.num_classes();
    if (want_probs_) probs_.resize(data_.count * classes);
    std::vector<float> x(size_t(batch_size_) * data_.example_size);
    std::vector<int32_t> idx(batch_size_), y(batch_size_);
    for (size_t start = 0; start < data_.count; start += batch_size_) {
      int n = int(std::min<size_t>(batch_size_, data_.count - start));
      for (int i = 0; i < n; ++i) {
        idx[i] = int32_t(start + i);
        y[i] = data_.labels[start + i];
      }
      gather(data_, idx.data(), n, x.data());
      cnn::BatchResult r =
          net.evaluate_batch(x.data(), y.data(), n, want_probs_ ? probs_.data() + start * classes : nullptr);
      loss_sum_ += r.loss * n;
      correct_ += r.correct;
    }
  }
  void OnOK() override {
    wrap_->busy = false;
    Napi::Env env = Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("lossSum", loss_sum_);
    o.Set("correct", correct_);
    o.Set("count", double(data_.count));
    if (want_probs_) o.Set("probs", copy_to_js(env, probs_.data(), probs_.size()));
    deferred_.Resolve(o);
  }
  void OnError(const Napi::Error& e) override {
    wrap_->busy = false;
    deferred_.Reject(make_error(Env(), code_, e.Message()).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  NetworkWrap* wrap_;
  Napi::ObjectReference wrap_ref_;
  DataView data_;
  int batch_size_;
  bool want_probs_;
  std::vector<float> probs_;
  double loss_sum_ = 0;
  int correct_ = 0;
  std::string code_;
};

Napi::Function NetworkWrap::Define(Napi::Env env) {
  return DefineClass(env, "Network",
                     {
                         InstanceMethod("params", &NetworkWrap::Params),
                         InstanceMethod("getParam", &NetworkWrap::GetParam),
                         InstanceMethod("setParam", &NetworkWrap::SetParam),
                         InstanceMethod("optimizerSlots", &NetworkWrap::OptimizerSlots),
                         InstanceMethod("getIterations", &NetworkWrap::GetIterations),
                         InstanceMethod("setIterations", &NetworkWrap::SetIterations),
                         InstanceMethod("setLearningRate", &NetworkWrap::SetLearningRate),
                         InstanceMethod("getSlot", &NetworkWrap::GetSlot),
                         InstanceMethod("setSlot", &NetworkWrap::SetSlot),
                         InstanceMethod("numClasses", &NetworkWrap::NumClasses),
                         InstanceMethod("inputSize", &NetworkWrap::InputSize),
                         InstanceMethod("trainBatches", &NetworkWrap::TrainBatches),
                         InstanceMethod("evaluate", &NetworkWrap::Evaluate),
                         InstanceMethod("forwardAll", &NetworkWrap::ForwardAll),
                         InstanceMethod("setProfiling", &NetworkWrap::SetProfiling),
                         InstanceMethod("profile", &NetworkWrap::Profile),
                     });
}

NetworkWrap::NetworkWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NetworkWrap>(info) {
  Napi::Env env = info.Env();
  require(env, info.Length() == 1 && info[0].IsObject(), "new Network(spec) takes a spec object");
  cnn::NetworkSpec spec = to_network_spec(info[0].As<Napi::Object>());
  net_ = guarded(env, [&] { return std::make_unique<cnn::Network>(spec); });
}

size_t NetworkWrap::check_param(const Napi::CallbackInfo& info, size_t arg) {
  require(info.Env(), info.Length() > arg, "a parameter index is required");
  int64_t last = int64_t(net_->params().size()) - 1;
  require(info.Env(), last >= 0, "this network has no parameters");
  return size_t(to_int64(info[arg], "parameter index", 0, last));
}

Napi::Value NetworkWrap::Params(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto& ps = net_->params();
  Napi::Array out = Napi::Array::New(env, ps.size());
  for (size_t i = 0; i < ps.size(); ++i) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("layer", ps[i].layer);
    o.Set("name", ps[i].name);
    o.Set("shape", to_js_ints(env, ps[i].shape));
    o.Set("trainable", ps[i].trainable);
    out.Set(uint32_t(i), o);
  }
  return out;
}

Napi::Value NetworkWrap::GetParam(const Napi::CallbackInfo& info) {
  require_idle(info.Env());
  size_t i = check_param(info, 0);
  return copy_to_js(info.Env(), net_->param_data(i), net_->param_size(i));
}

Napi::Value NetworkWrap::SetParam(const Napi::CallbackInfo& info) {
  require_idle(info.Env());
  size_t i = check_param(info, 0);
  require(info.Env(), info.Length() > 1, "setParam(i, data)");
  auto data = require_float32(info[1], "data");
  require(info.Env(), data.ElementLength() == net_->param_size(i), "setParam: data length must match the parameter");
  std::copy(data.Data(), data.Data() + data.ElementLength(), net_->param_data(i));
  return info.Env().Undefined();
}

Napi::Value NetworkWrap::OptimizerSlots(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), net_->optimizer_slots());
}
Napi::Value NetworkWrap::GetIterations(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), double(net_->iterations()));
}
Napi::Value NetworkWrap::SetIterations(const Napi::CallbackInfo& info) {
  require_idle(info.Env());
  require(info.Env(), info.Length() == 1, "setIterations(n)");
  int64_t it = to_int64(info[0], "iterations", 0, kMaxSafeInteger);
  net_->set_iterations(it);
  return info.Env().Undefined();
}

// setLearningRate(lr): from the next batch on. Refused while a worker trains (it reads the rate).
Napi::Value NetworkWrap::SetLearningRate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  require_idle(env);
  require(env, info.Length() == 1 && info[0].IsNumber(), "setLearningRate(lr) takes a number");
  double lr = info[0].As<Napi::Number>().DoubleValue();
  if (!(std::isfinite(lr) && lr >= 0)) {
    throw make_error(env, "ERR_BAD_OPTION", "the learning rate must be a finite number >= 0, got " + std::to_string(lr));
  }
  guarded(env, [&] { net_->set_learning_rate(lr); return 0; });
  return env.Undefined();
}

Napi::Value NetworkWrap::GetSlot(const Napi::CallbackInfo& info) {
  require_idle(info.Env());
  size_t i = check_param(info, 0);
  require(info.Env(), info.Length() > 1, "getSlot(i, slot)");
  require(info.Env(), net_->optimizer_slots() > 0, "this optimizer keeps no state");
  int s = to_int(info[1], "slot", 0, net_->optimizer_slots() - 1);
  require(info.Env(), net_->params()[i].trainable, "non-trainable parameters have no optimizer state");
  return copy_to_js(info.Env(), net_->optimizer_slot(i, s), net_->param_size(i));
}

Napi::Value NetworkWrap::SetSlot(const Napi::CallbackInfo& info) {
  require_idle(info.Env());
  size_t i = check_param(info, 0);
  require(info.Env(), info.Length() > 2, "setSlot(i, slot, data)");
  require(info.Env(), net_->optimizer_slots() > 0, "this optimizer keeps no state");
  int s = to_int(info[1], "slot", 0, net_->optimizer_slots() - 1);
  require(info.Env(), net_->params()[i].trainable, "non-trainable parameters have no optimizer state");
  auto data = require_float32(info[2], "data");
  require(info.Env(), data.ElementLength() == net_->param_size(i), "setSlot: data length must match the parameter");
  std::copy(data.Data(), data.Data() + data.ElementLength(), net_->optimizer_slot(i, s));
  return info.Env().Undefined();
}

// setProfiling(on): times the training steps that follow (on also clears the times); profile():
// {steps, lossSeconds, updateSeconds, layers: [{name, forwardSeconds, backwardSeconds}]}, sums.
Napi::Value NetworkWrap::SetProfiling(const Napi::CallbackInfo& info) {
  require(info.Env(), info.Length() == 1 && info[0].IsBoolean(), "setProfiling(on: boolean)");
  require_idle(info.Env());
  net_->set_profiling(info[0].As<Napi::Boolean>().Value());
  return info.Env().Undefined();
}

Napi::Value NetworkWrap::Profile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  require_idle(env);
  cnn::StepProfile p = net_->profile();
  Napi::Object o = Napi::Object::New(env);
  o.Set("steps", double(p.steps));
  o.Set("lossSeconds", p.loss_s);
  o.Set("updateSeconds", p.update_s);
  Napi::Array layers = Napi::Array::New(env, p.layers.size());
  for (size_t i = 0; i < p.layers.size(); ++i) {
    Napi::Object l = Napi::Object::New(env);
    l.Set("name", p.layers[i]);
    l.Set("forwardSeconds", p.forward_s[i]);
    l.Set("backwardSeconds", p.backward_s[i]);
    layers.Set(uint32_t(i), l);
  }
  o.Set("layers", layers);
  return o;
}

Napi::Value NetworkWrap::NumClasses(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), net_->num_classes());
}
Napi::Value NetworkWrap::InputSize(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), double(net_->input_size()));
}

// trainBatches(images, labels, order Int32Array, {batchSize, scale, offset, firstBatch, lastBatch,
//              distributedTimeout (seconds; given: data-parallel over the MPI ranks, see train_shards)},
//              onProgress(batches, seen, correct, lossSum) | null, cancel Int32Array(1))
Napi::Value NetworkWrap::TrainBatches(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  require(env, info.Length() == 6, "trainBatches takes 6 arguments");
  require(env, info[3].IsObject(), "trainBatches: options must be an object");
  require_idle(env);
  Napi::Object opts = info[3].As<Napi::Object>();
  KeepAlive scratch;
  DataView data = read_data(info, 0, 1, opts, net_->input_size(), net_->num_classes(), scratch);
  auto order = require_int32(info[2], "order");
  auto cancel = require_int32(info[5], "cancel");
  require(env, cancel.ElementLength() >= 1, "cancel must hold at least one element");
  int batch_size = get_int(opts, "batchSize", 32, 1, kMaxBatch);
  size_t batches = (order.ElementLength() + size_t(batch_size) - 1) / size_t(batch_size);
  require(env, batches <= size_t(INT32_MAX), "order holds too many batches");
  int total_batches = int(batches);
  int first = get_int(opts, "firstBatch", 0, 0, total_batches);
  int last = get_int(opts, "lastBatch", total_batches, first, total_batches);
  Napi::Function on_progress;
  if (info[4].IsFunction()) on_progress = info[4].As<Napi::Function>();
  double distributed_timeout = get_number(opts, "distributedTimeout", 0.0);
  if (distributed_timeout != 0) {
    require(env, std::isfinite(distributed_timeout) && distributed_timeout > 0, "distributedTimeout must be a positive number of seconds");
    if (!mpi_ready()) throw make_error(env, "ERR_DISTRIBUTED", "distributed training needs MPI initialized first (mpiInit)");
  }
  auto* worker = new TrainWorker(env, this, data, order.Data(), order.ElementLength(), batch_size, first, last,
                                 cancel.Data(), on_progress, distributed_timeout);
  worker->keep.hold(info[0]);
  worker->keep.hold(info[1]);
  worker->keep.hold(info[2]);
  worker->keep.hold(info[5]);
  Napi::Promise p = worker->Promise();
  busy = true;
  worker->Queue();
  return p;
}

// evaluate(images, labels, {batchSize, scale, offset, probs: bool})
Napi::Value NetworkWrap::Evaluate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  require(env, info.Length() == 3 && info[2].IsObject(), "evaluate(images, labels, options)");
  require_idle(env);
  Napi::Object opts = info[2].As<Napi::Object>();
  KeepAlive scratch;
  DataView data = read_data(info, 0, 1, opts, net_->input_size(), net_->num_classes(), scratch);
  int batch_size = get_int(opts, "batchSize", 256, 1, kMaxBatch);
  auto* worker = new EvalWorker(env, this, data, batch_size, get_bool(opts, "probs", false));
  worker->keep.hold(info[0]);
  worker->keep.hold(info[1]);
  Napi::Promise p = worker->Promise();
  busy = true;
  worker->Queue();
  return p;
}

// forwardAll(x Float32Array of one example) -> Float32Array[] (each layer's output)
Napi::Value NetworkWrap::ForwardAll(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  require_idle(env);
  require(env, info.Length() == 1, "forwardAll(x)");
  auto x = require_float32(info[0], "x");
  require(env, x.ElementLength() == net_->input_size(), "forwardAll: x must hold one example");
  auto outs = guarded(env, [&] { return net_->forward_all(x.Data()); });
  Napi::Array arr = Napi::Array::New(env, outs.size());
  for (size_t i = 0; i < outs.size(); ++i) arr.Set(uint32_t(i), copy_to_js(env, outs[i].data(), outs[i].size()));
  return arr;
}

}  // namespace

void register_network(Napi::Env env, Napi::Object exports) {
  exports.Set("Network", NetworkWrap::Define(env));
}

}  // namespace cnn_addon
