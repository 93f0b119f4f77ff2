// The learners' calculators (`cnn conv`, `cnn pool`) and the machine facts (`cnn info`). They run the
// same kernels as training, synchronously: the inputs are tiny.
#include <napi.h>

#include <algorithm>
#include <vector>

#include "addon/convert.h"
#include "addon/errors.h"
#include "addon/exports.h"
#include "core/checked.h"
#include "core/thread_pool.h"
#include "kernels/kernels.h"

namespace cnn_addon {

namespace {

// The calculators are for small examples: their buffers are capped (the TypeScript side states the same
// limit on the output in its usage message, before calling).
constexpr int64_t kMaxCalculatorFloats = int64_t(1) << 24;
// They run on the main thread: the work (multiply-adds, window reads) is capped too, about a second.
constexpr int64_t kMaxCalculatorWork = int64_t(1) << 30;

Napi::Object shaped_result(Napi::Env env, const std::vector<float>& data, const std::vector<int>& shape) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("data", copy_to_js(env, data.data(), data.size()));
  out.Set("shape", to_js_ints(env, shape));
  return out;
}

std::vector<int> pair_arg(const Napi::Value& v, const char* what) {
  require(v.Env(), v.IsArray(), std::string(what) + " must be a pair of integers");
  Napi::Object holder = Napi::Object::New(v.Env());
  holder.Set("p", v);
  std::vector<int> p = get_int_array(holder, "p", 1, INT32_MAX);
  require(v.Env(), p.size() == 2, std::string(what) + " must be a pair of positive integers");
  return p;
}

// conv2d(input Float32Array (h,w,in), inShape [h,w,in], kernel Float32Array (kh,kw,in,out),
//        kShape [kh,kw,in,out], strides [sh,sw], dilation [dh,dw], same bool) -> {data, shape}
Napi::Value Conv2D(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  require(env, info.Length() == 7, "conv2d takes 7 arguments");
  auto input = require_float32(info[0], "input");
  Napi::Object holder = Napi::Object::New(env);
  holder.Set("inShape", info[1]);
  holder.Set("kShape", info[3]);
  require(env, info[1].IsArray() && info[3].IsArray(), "inShape and kShape must be arrays of integers");
  std::vector<int> in_shape = get_int_array(holder, "inShape");
  std::vector<int> k_shape = get_int_array(holder, "kShape");
  auto kernel = require_float32(info[2], "kernel");
  std::vector<int> strides = pair_arg(info[4], "strides");
  std::vector<int> dilation = pair_arg(info[5], "dilation");
  require(env, info[6].IsBoolean(), "same must be a boolean");
  bool same = info[6].As<Napi::Boolean>().Value();
  require(env, in_shape.size() == 3 && k_shape.size() == 4, "inShape is [h,w,in] and kShape [kh,kw,in,out]");
  require(env, in_shape[2] == k_shape[2], "the kernel's input channels must match the input's");
  for (int d : in_shape) require(env, d >= 1, "inShape entries must be positive");
  for (int d : k_shape) require(env, d >= 1, "kShape entries must be positive");
  // Shapes are int32 each; their products are formed in 64 bits (uint64 cannot overflow here: 4 factors
  // below 2^31 would, so the kernel's is checked step by step).
  require(env, input.ElementLength() == uint64_t(in_shape[0]) * uint64_t(in_shape[1]) * uint64_t(in_shape[2]),
          "input length must match inShape");
  require(env, uint64_t(k_shape[0]) * uint64_t(k_shape[1]) * uint64_t(k_shape[2]) <= uint64_t(INT32_MAX),
          "the kernel's patch (kh x kw x in) must be at most 2147483647");
  require(env, kernel.ElementLength() == uint64_t(k_shape[0]) * uint64_t(k_shape[1]) * uint64_t(k_shape[2]) * uint64_t(k_shape[3]),
          "kernel length must match kShape");
  return guarded(env, [&]() -> Napi::Value {
    auto g = cnn::kernels::make_conv_geometry(1, in_shape[0], in_shape[1], in_shape[2], k_shape[0], k_shape[1],
                                              strides[0], strides[1], dilation[0], dilation[1], same);
    // The geometry bounds rows and depth by int32; the buffers and the output are refused past the
    // calculators' limit instead of growing without bound (their results become JavaScript arrays).
    const int64_t rows = int64_t(g.out_h) * g.out_w, depth = int64_t(k_shape[0]) * k_shape[1] * k_shape[2];
    const int filters = k_shape[3];
    cnn::checked_mul(rows, depth, kMaxCalculatorFloats, "the column buffer (output positions x kernel patch)");
    cnn::checked_mul(rows, filters, kMaxCalculatorFloats, "the output (positions x filters)");
    cnn::checked_mul(rows * depth, filters, kMaxCalculatorWork, "the work (multiply-adds)");
    std::vector<float> cols(size_t(rows * depth)), out(size_t(rows) * filters);
    cnn::kernels::im2col_nhwc(g, input.Data(), cols.data());
    cnn::kernels::sgemm(false, false, int(rows), filters, int(depth), 1.0f, cols.data(), int(depth), kernel.Data(),
                        filters, 0.0f, out.data(), filters);
    return shaped_result(env, out, {g.out_h, g.out_w, filters});
  });
}

// pool(input Float32Array (h,w,c), inShape [h,w,c], poolSize [ph,pw], strides [sh,sw], same, mode) -> {data, shape}
Napi::Value Pool(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  require(env, info.Length() == 6, "pool takes 6 arguments");
  auto input = require_float32(info[0], "input");
  Napi::Object holder = Napi::Object::New(env);
  holder.Set("inShape", info[1]);
  require(env, info[1].IsArray(), "inShape must be an array of integers");
  std::vector<int> in_shape = get_int_array(holder, "inShape");
  std::vector<int> pool = pair_arg(info[2], "poolSize");
  std::vector<int> strides = pair_arg(info[3], "strides");
  require(env, info[4].IsBoolean(), "same must be a boolean");
  require(env, info[5].IsString(), "mode must be 'max' or 'avg'");
  bool same = info[4].As<Napi::Boolean>().Value();
  std::string mode = info[5].As<Napi::String>().Utf8Value();
  require(env, mode == "max" || mode == "avg", "mode must be 'max' or 'avg'");
  require(env, in_shape.size() == 3, "inShape is [h,w,c] of positive integers");
  require(env, input.ElementLength() == uint64_t(in_shape[0]) * uint64_t(in_shape[1]) * uint64_t(in_shape[2]),
          "input length must match inShape");
  return guarded(env, [&]() -> Napi::Value {
    auto g = cnn::kernels::make_pool_geometry(1, in_shape[0], in_shape[1], in_shape[2], pool[0], pool[1], strides[0],
                                              strides[1], same);
    cnn::checked_mul(int64_t(g.out_h) * g.out_w, g.c, kMaxCalculatorFloats, "the output (positions x channels)");
    const int64_t cells = int64_t(std::min(g.pool_h, g.in_h)) * std::min(g.pool_w, g.in_w);
    cnn::checked_mul(int64_t(g.out_h) * g.out_w * g.c, cells, kMaxCalculatorWork, "the work (window reads)");
    std::vector<float> out(size_t(g.out_h) * g.out_w * g.c);
    if (mode == "max") {
      std::vector<int32_t> argmax(out.size());
      cnn::kernels::maxpool_forward(g, input.Data(), out.data(), argmax.data());
    } else {
      cnn::kernels::avgpool_forward(g, input.Data(), out.data());
    }
    return shaped_result(env, out, {g.out_h, g.out_w, g.c});
  });
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("isa", cnn::kernels::isa_name(cnn::kernels::active_isa()));
  auto isas = cnn::kernels::cpu_isas();
  Napi::Array list = Napi::Array::New(env, isas.size());
  for (size_t i = 0; i < isas.size(); ++i) list.Set(uint32_t(i), cnn::kernels::isa_name(isas[i]));
  out.Set("cpuIsas", list);
  out.Set("threads", cnn::ThreadPool::global().size());
  out.Set("defaultThreads", cnn::ThreadPool::default_threads());
#if defined(__x86_64__) || defined(_M_X64)
  out.Set("arch", "x86_64");
#elif defined(__aarch64__)
  out.Set("arch", "aarch64");
#else
  out.Set("arch", "other");
#endif
  return out;
}

Napi::Value SelectIsa(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  require(env, info.Length() == 1 && info[0].IsString(), "selectIsa takes a name");
  std::string name = info[0].As<Napi::String>().Utf8Value();
  guarded(env, [&] { cnn::kernels::select_isa_by_name(name); return 0; });
  return env.Undefined();
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  require(env, info.Length() == 1, "setThreads takes a number");
  int n = to_int(info[0], "threads", 1, 1024);
  guarded(env, [&] { cnn::ThreadPool::set_global_threads(n); return 0; });
  return env.Undefined();
}

}  // namespace

void register_calculators(Napi::Env env, Napi::Object exports) {
  exports.Set("conv2d", Napi::Function::New(env, Conv2D, "conv2d"));
  exports.Set("pool", Napi::Function::New(env, Pool, "pool"));
  exports.Set("info", Napi::Function::New(env, Info, "info"));
  exports.Set("selectIsa", Napi::Function::New(env, SelectIsa, "selectIsa"));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads, "setThreads"));
}

}  // namespace cnn_addon
