// mpiVersion(libPath), mpiInit(libPath), mpiSum(Float64Array, timeoutSeconds), mpiAbort(code),
// mpiFinalize(): MPI for src/distributed/, through libcnn_mpi.so loaded with dlopen (never linked: a
// build without MPI, or a single-process run, never loads libmpi; native/mpi/cnn_mpi_abi.h).
#include "addon/mpi_bridge.h"

#include <dlfcn.h>
#include <napi.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "addon/convert.h"
#include "addon/errors.h"
#include "addon/exports.h"
#include "core/error.h"
#include "mpi/cnn_mpi_abi.h"

namespace cnn_addon {

namespace {

constexpr const char* kErrDistributed = "ERR_DISTRIBUTED";

struct MpiApi {
  void* handle = nullptr;
  int (*abi_version)() = nullptr;
  int (*library_version)(char*, size_t) = nullptr;
  int (*init)(int*, int*, char*, size_t) = nullptr;
  int (*host)(int, char*, size_t) = nullptr;
  int (*sum)(void*, size_t, int, double, char*, size_t) = nullptr;
  void (*abort_job)(int) = nullptr;
  int (*finalize)() = nullptr;
  bool initialized = false;
  int rank = 0, size = 1;
  std::string host_name;
};

MpiApi g_mpi;

// dlopen once; a missing file or symbol is one message naming the file.
void load(Napi::Env env, const std::string& path) {
  if (g_mpi.handle) return;
  void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL);
  if (!h) throw make_error(env, "ERR_NO_MPI", std::string("cannot load ") + path + ": " + dlerror());
  auto sym = [&](const char* name) {
    void* s = dlsym(h, name);
    if (!s) throw make_error(env, "ERR_NO_MPI", path + " lacks " + name + " (a stale build: run npm run build)");
    return s;
  };
  MpiApi api;
  api.handle = h;
  api.abi_version = reinterpret_cast<int (*)()>(sym("cnn_mpi_abi_version"));
  if (api.abi_version() != CNN_MPI_ABI_VERSION)
    throw make_error(env, "ERR_NO_MPI", path + " is from another version of cnn (run npm run build)");
  api.library_version = reinterpret_cast<int (*)(char*, size_t)>(sym("cnn_mpi_library_version"));
  api.init = reinterpret_cast<int (*)(int*, int*, char*, size_t)>(sym("cnn_mpi_init"));
  api.host = reinterpret_cast<int (*)(int, char*, size_t)>(sym("cnn_mpi_host"));
  api.sum = reinterpret_cast<int (*)(void*, size_t, int, double, char*, size_t)>(sym("cnn_mpi_sum"));
  api.abort_job = reinterpret_cast<void (*)(int)>(sym("cnn_mpi_abort"));
  api.finalize = reinterpret_cast<int (*)()>(sym("cnn_mpi_finalize"));
  g_mpi = api;
}

std::string path_arg(const Napi::CallbackInfo& info) {
  require(info.Env(), info.Length() >= 1 && info[0].IsString(), "the path of libcnn_mpi.so is required");
  return info[0].As<Napi::String>().Utf8Value();
}

// A failed or timed-out sum, as cnn::Error: names this rank and host; the caller adds what it was doing.
[[noreturn]] void sum_failed(int rc, const char* err, double timeout_s) {
  std::string who = "rank " + std::to_string(g_mpi.rank) + " (host " + g_mpi.host_name + ")";
  if (rc == CNN_MPI_TIMEOUT)
    throw cnn::Error(kErrDistributed, who + ": no answer from the other ranks within " + std::to_string(int(timeout_s)) +
                                          " s (a rank died, hangs, or the network between the hosts is down; CNN_MPI_TIMEOUT sets the limit)");
  throw cnn::Error(kErrDistributed, who + ": " + err);
}

void sum_raw(void* buf, size_t count, int type, double timeout_s) {
  if (!g_mpi.initialized) throw cnn::Error(kErrDistributed, "MPI is not initialized in this process");
  char err[512] = {0};
  int rc = g_mpi.sum(buf, count, type, timeout_s, err, sizeof err);
  if (rc != 0) sum_failed(rc, err, timeout_s);
}

Napi::Value MpiVersion(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  load(env, path_arg(info));
  char text[4096] = {0};
  if (g_mpi.library_version(text, sizeof text) != 0) throw make_error(env, "ERR_NO_MPI", "MPI_Get_library_version failed");
  return Napi::String::New(env, text);
}

Napi::Value MpiInit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  load(env, path_arg(info));
  char err[1024] = {0};
  int rank = 0, size = 1;
  if (g_mpi.init(&rank, &size, err, sizeof err) != 0) throw make_error(env, "ERR_NO_MPI", err);
  g_mpi.initialized = true;
  g_mpi.rank = rank;
  g_mpi.size = size;
  Napi::Array hosts = Napi::Array::New(env, size_t(size));
  for (int r = 0; r < size; ++r) {
    char name[512] = {0};
    g_mpi.host(r, name, sizeof name);
    hosts.Set(uint32_t(r), Napi::String::New(env, name));
    if (r == rank) g_mpi.host_name = name;
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("rank", rank);
  o.Set("size", size);
  o.Set("hosts", hosts);
  return o;
}

// mpiSum(values Float64Array, timeoutSeconds): in place, on the calling (main) thread; training is
// never running then (MPI_THREAD_SERIALIZED).
Napi::Value MpiSum(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  require(env, info.Length() == 2 && info[1].IsNumber(), "mpiSum(values, timeoutSeconds)");
  require(env, info[0].IsTypedArray() && info[0].As<Napi::TypedArray>().TypedArrayType() == napi_float64_array,
          "mpiSum: values must be a Float64Array");
  auto values = info[0].As<Napi::Float64Array>();
  double timeout = info[1].As<Napi::Number>().DoubleValue();
  guarded(env, [&] { sum_raw(values.Data(), values.ElementLength(), CNN_MPI_DOUBLE, timeout); return 0; });
  return env.Undefined();
}

Napi::Value MpiAbort(const Napi::CallbackInfo& info) {
  int code = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 1;
  if (g_mpi.initialized) g_mpi.abort_job(code);
  return info.Env().Undefined();
}

Napi::Value MpiFinalize(const Napi::CallbackInfo& info) {
  if (g_mpi.initialized) g_mpi.finalize();
  g_mpi.initialized = false;
  return info.Env().Undefined();
}

}  // namespace

bool mpi_ready() { return g_mpi.initialized; }
int mpi_rank() { return g_mpi.rank; }
int mpi_size() { return g_mpi.size; }

namespace {
double now_s() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }
}  // namespace

void MpiStepSync::sum(double* values, size_t count) {
  double t0 = now_s();
  doubles_.assign(values, values + count);
  doubles_.push_back(__atomic_load_n(cancel_, __ATOMIC_ACQUIRE) ? 1.0 : 0.0);
  sum_raw(doubles_.data(), doubles_.size(), CNN_MPI_DOUBLE, timeout_s_);
  std::copy(doubles_.begin(), doubles_.end() - 1, values);
  if (doubles_.back() > 0) stop_ = true;
  seconds_ += now_s() - t0;
}

// The buffers go into one packed message: one latency per step instead of one per parameter. (Summing
// buckets while backward still runs would hide the transfer; measured with `cnn bench train
// --distributed`, the sum is a small part of a step for these models, so it is not done.)
void MpiStepSync::sum(float* const* buffers, const size_t* sizes, size_t count) {
  size_t total = 0;
  for (size_t i = 0; i < count; ++i) total += sizes[i];
  packed_.resize(total);
  size_t at = 0;
  for (size_t i = 0; i < count; ++i) {
    std::memcpy(packed_.data() + at, buffers[i], sizes[i] * sizeof(float));
    at += sizes[i];
  }
  double t0 = now_s();
  sum_raw(packed_.data(), total, CNN_MPI_FLOAT, timeout_s_);
  seconds_ += now_s() - t0;
  at = 0;
  for (size_t i = 0; i < count; ++i) {
    std::memcpy(buffers[i], packed_.data() + at, sizes[i] * sizeof(float));
    at += sizes[i];
  }
}

void register_mpi(Napi::Env env, Napi::Object exports) {
  exports.Set("mpiVersion", Napi::Function::New(env, MpiVersion, "mpiVersion"));
  exports.Set("mpiInit", Napi::Function::New(env, MpiInit, "mpiInit"));
  exports.Set("mpiSum", Napi::Function::New(env, MpiSum, "mpiSum"));
  exports.Set("mpiAbort", Napi::Function::New(env, MpiAbort, "mpiAbort"));
  exports.Set("mpiFinalize", Napi::Function::New(env, MpiFinalize, "mpiFinalize"));
}

}  // namespace cnn_addon
