// `cnn bench gemm` and `cnn bench peak`: time the GEMM and the multiply-add loops off the event loop.
#include <napi.h>

#include "addon/convert.h"
#include "addon/errors.h"
#include "core/bench_gemm.h"
#include "core/bench_peak.h"
#include "core/error.h"

namespace cnn_addon {

namespace {

class GemmBenchWorker : public Napi::AsyncWorker {
 public:
  GemmBenchWorker(Napi::Env env, int m, int n, int k, int threads, double seconds)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), m_(m), n_(n), k_(k),
        threads_(threads), seconds_(seconds) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    std::string message;
    if (!run_job([&] { measure(); }, code_, message)) SetError(message);
  }
  void measure() {
    result_ = cnn::bench_sgemm(m_, n_, k_, threads_, seconds_);
  }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("M", result_.M);
    o.Set("N", result_.N);
    o.Set("K", result_.K);
    o.Set("threads", result_.threads);
    o.Set("gflops", result_.gflops);
    deferred_.Resolve(o);
  }
  void OnError(const Napi::Error& e) override {
    deferred_.Reject(make_error(Env(), code_, e.Message()).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  int m_, n_, k_, threads_;
  double seconds_;
  cnn::GemmBenchResult result_{};
  std::string code_;
};

Napi::Value BenchGemm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  require(env, info.Length() == 5, "benchGemm(M, N, K, threads, minSeconds)");
  int m = to_int(info[0], "M", 1), n = to_int(info[1], "N", 1), k = to_int(info[2], "K", 1),
      t = to_int(info[3], "threads", 1, 1024);
  double s = to_finite(info[4], "minSeconds");
  require(env, s > 0 && s <= 3600, "benchGemm: minSeconds must be in (0, 3600]");
  require(env, double(m) * k + double(k) * n + double(m) * n <= 4e8, "benchGemm: matrices too large (at most 1.6 GB)");
  auto* worker = new GemmBenchWorker(env, m, n, k, t, s);
  Napi::Promise p = worker->Promise();
  worker->Queue();
  return p;
}

class PeakBenchWorker : public Napi::AsyncWorker {
 public:
  PeakBenchWorker(Napi::Env env, std::string isa, int threads, double seconds)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), isa_(std::move(isa)), threads_(threads),
        seconds_(seconds) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    std::string message;
    if (!run_job([&] { result_ = cnn::bench_peak(isa_, threads_, seconds_); }, code_, message)) SetError(message);
  }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("isa", result_.isa);
    o.Set("loop", result_.loop);
    o.Set("threads", result_.threads);
    o.Set("gflops", result_.gflops);
    o.Set("seconds", result_.seconds);
    deferred_.Resolve(o);
  }
  void OnError(const Napi::Error& e) override {
    deferred_.Reject(make_error(Env(), code_, e.Message()).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::string isa_;
  int threads_;
  double seconds_;
  cnn::PeakBenchResult result_{};
  std::string code_;
};

Napi::Value BenchPeak(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  require(env, info.Length() == 3 && info[0].IsString(), "benchPeak(isa, threads, minSeconds)");
  std::string isa = info[0].As<Napi::String>().Utf8Value();
  int t = to_int(info[1], "threads", 1, 1024);
  double s = to_finite(info[2], "minSeconds");
  require(env, s > 0 && s <= 3600, "benchPeak: minSeconds must be in (0, 3600]");
  auto* worker = new PeakBenchWorker(env, std::move(isa), t, s);
  Napi::Promise p = worker->Promise();
  worker->Queue();
  return p;
}

Napi::Value PeakIsas(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<std::string> isas = cnn::peak_isas();
  Napi::Array out = Napi::Array::New(env, isas.size());
  for (size_t i = 0; i < isas.size(); ++i) out.Set(uint32_t(i), isas[i]);
  return out;
}

}  // namespace

void register_bench(Napi::Env env, Napi::Object exports) {
  exports.Set("benchGemm", Napi::Function::New(env, BenchGemm, "benchGemm"));
  exports.Set("benchPeak", Napi::Function::New(env, BenchPeak, "benchPeak"));
  exports.Set("peakIsas", Napi::Function::New(env, PeakIsas, "peakIsas"));
}

}  // namespace cnn_addon
