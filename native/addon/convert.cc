#include "addon/convert.h"

#include <cmath>
#include <cstring>

#include "addon/errors.h"

namespace cnn_addon {

int64_t to_int64(const Napi::Value& v, const std::string& what, int64_t min, int64_t max) {
  Napi::Env env = v.Env();
  require(env, v.IsNumber(), what + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  // Compared as doubles before any conversion: a cast of NaN or of a value outside int64 is undefined.
  require(env, std::isfinite(d) && std::trunc(d) == d,
          what + " must be an integer, got " + Napi::Number::New(env, d).ToString().Utf8Value());
  require(env, d >= double(min) && d <= double(max),
          what + " must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
              Napi::Number::New(env, d).ToString().Utf8Value());
  return int64_t(d);
}

int to_int(const Napi::Value& v, const std::string& what, int min, int max) { return int(to_int64(v, what, min, max)); }

double to_finite(const Napi::Value& v, const std::string& what) {
  require(v.Env(), v.IsNumber(), what + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  require(v.Env(), std::isfinite(d), what + " must be a finite number");
  return d;
}

int get_int(const Napi::Object& o, const char* key, int fallback, int min, int max) {
  if (!o.Has(key)) return fallback;
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  return to_int(v, key, min, max);
}

double get_number(const Napi::Object& o, const char* key, double fallback) {
  if (!o.Has(key)) return fallback;
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  return to_finite(v, key);
}

bool get_bool(const Napi::Object& o, const char* key, bool fallback) {
  if (!o.Has(key)) return fallback;
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  require(o.Env(), v.IsBoolean(), std::string(key) + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

std::string get_string(const Napi::Object& o, const char* key, const std::string& fallback) {
  if (!o.Has(key)) return fallback;
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  require(o.Env(), v.IsString(), std::string(key) + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

std::vector<int> get_int_array(const Napi::Object& o, const char* key, int min, int max) {
  std::vector<int> out;
  if (!o.Has(key)) return out;
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return out;
  require(o.Env(), v.IsArray(), std::string(key) + " must be an array of integers");
  Napi::Array a = v.As<Napi::Array>();
  // Shapes and pairs are short; a huge "array" is a misuse, refused before looping over it.
  require(o.Env(), a.Length() <= 16, std::string(key) + " must hold at most 16 integers");
  for (uint32_t i = 0; i < a.Length(); ++i)
    out.push_back(to_int(a.Get(i), std::string(key) + "[" + std::to_string(i) + "]", min, max));
  return out;
}

static void get_pair(const Napi::Object& o, const char* key, int out[2]) {
  std::vector<int> v = get_int_array(o, key);
  if (v.empty()) return;
  require(o.Env(), v.size() == 2, std::string(key) + " must be a pair");
  out[0] = v[0];
  out[1] = v[1];
}

static cnn::InitializerSpec to_initializer(const Napi::Object& parent, const char* key, const char* fallback) {
  cnn::InitializerSpec init;
  init.kind = fallback;
  if (!parent.Has(key) || parent.Get(key).IsUndefined() || parent.Get(key).IsNull()) return init;
  Napi::Value v = parent.Get(key);
  if (v.IsString()) {
    init.kind = v.As<Napi::String>().Utf8Value();
    return init;
  }
  require(parent.Env(), v.IsObject(), std::string(key) + " must be an object");
  Napi::Object o = v.As<Napi::Object>();
  init.kind = get_string(o, "kind", fallback);
  init.value = get_number(o, "value", 0);
  init.mean = get_number(o, "mean", 0);
  init.stddev = get_number(o, "stddev", 0.05);
  init.minval = get_number(o, "minval", -0.05);
  init.maxval = get_number(o, "maxval", 0.05);
  if (o.Has("values") && o.Get("values").IsArray()) {
    Napi::Array a = o.Get("values").As<Napi::Array>();
    init.values.reserve(a.Length());
    for (uint32_t i = 0; i < a.Length(); ++i) init.values.push_back(float(to_finite(a.Get(i), std::string(key) + ".values[]")));
  }
  return init;
}

static cnn::RegularizerSpec to_regularizer(const Napi::Object& parent, const char* key) {
  cnn::RegularizerSpec r;
  if (!parent.Has(key) || !parent.Get(key).IsObject()) return r;
  Napi::Object o = parent.Get(key).As<Napi::Object>();
  r.l1 = get_number(o, "l1", 0);
  r.l2 = get_number(o, "l2", 0);
  return r;
}

static cnn::LayerSpec to_layer(const Napi::Object& o) {
  cnn::LayerSpec l;
  l.type = get_string(o, "type", "");
  l.name = get_string(o, "name", l.type);
  l.input_shape = get_int_array(o, "input_shape");
  l.output_shape = get_int_array(o, "output_shape");
  l.filters = get_int(o, "filters", 0, 0);  // 0: not a Conv2D (the core checks Conv2D's is positive)
  l.units = get_int(o, "units", 0, 0);
  get_pair(o, "kernel_size", l.kernel_size);
  get_pair(o, "strides", l.strides);
  get_pair(o, "dilation_rate", l.dilation_rate);
  get_pair(o, "pool_size", l.pool_size);
  l.padding_same = get_bool(o, "padding_same", false);
  l.channels_first = get_bool(o, "channels_first", false);
  l.activation = get_string(o, "activation", "linear");
  l.use_bias = get_bool(o, "use_bias", true);
  l.kernel_initializer = to_initializer(o, "kernel_initializer", "glorot_uniform");
  l.bias_initializer = to_initializer(o, "bias_initializer", "zeros");
  l.kernel_regularizer = to_regularizer(o, "kernel_regularizer");
  l.bias_regularizer = to_regularizer(o, "bias_regularizer");
  l.rate = get_number(o, "rate", 0);
  if (o.Has("dropout_seed") && !o.Get("dropout_seed").IsUndefined() && !o.Get("dropout_seed").IsNull()) {
    l.dropout_seed = uint64_t(to_int64(o.Get("dropout_seed"), "dropout_seed", 0, kMaxSafeInteger));
    l.has_dropout_seed = true;
  }
  l.momentum = get_number(o, "momentum", 0.99);
  l.epsilon = get_number(o, "epsilon", 1e-3);
  l.center = get_bool(o, "center", true);
  l.scale = get_bool(o, "scale", true);
  l.pre = to_preprocessing_spec(o);
  return l;
}

cnn::NetworkSpec to_network_spec(const Napi::Object& spec) {
  Napi::Env env = spec.Env();
  cnn::NetworkSpec s;
  s.input_shape = get_int_array(spec, "input_shape");
  require(env, spec.Has("layers") && spec.Get("layers").IsArray(), "spec.layers must be an array");
  Napi::Array layers = spec.Get("layers").As<Napi::Array>();
  require(env, layers.Length() <= 4096, "spec.layers must hold at most 4096 layers");
  for (uint32_t i = 0; i < layers.Length(); ++i) {
    require(env, layers.Get(i).IsObject(), "spec.layers[] must be objects");
    s.layers.push_back(to_layer(layers.Get(i).As<Napi::Object>()));
  }
  s.loss = get_string(spec, "loss", s.loss);
  if (spec.Has("seed") && !spec.Get("seed").IsUndefined() && !spec.Get("seed").IsNull())
    s.seed = uint64_t(to_int64(spec.Get("seed"), "seed", 0, kMaxSafeInteger));
  if (spec.Has("optimizer") && spec.Get("optimizer").IsObject()) {
    Napi::Object o = spec.Get("optimizer").As<Napi::Object>();
    cnn::OptimizerSpec& opt = s.optimizer;
    opt.type = get_string(o, "type", opt.type);
    opt.learning_rate = get_number(o, "learning_rate", opt.learning_rate);
    opt.momentum = get_number(o, "momentum", opt.momentum);
    opt.nesterov = get_bool(o, "nesterov", opt.nesterov);
    opt.rho = get_number(o, "rho", opt.rho);
    opt.centered = get_bool(o, "centered", opt.centered);
    opt.beta_1 = get_number(o, "beta_1", opt.beta_1);
    opt.beta_2 = get_number(o, "beta_2", opt.beta_2);
    opt.epsilon = get_number(o, "epsilon", opt.epsilon);
    opt.amsgrad = get_bool(o, "amsgrad", opt.amsgrad);
    opt.weight_decay = get_number(o, "weight_decay", opt.weight_decay);
  }
  return s;
}

Napi::Float32Array require_float32(const Napi::Value& v, const char* what) {
  require(v.Env(), v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_float32_array,
          std::string(what) + " must be a Float32Array");
  return v.As<Napi::Float32Array>();
}

Napi::Uint8Array require_uint8(const Napi::Value& v, const char* what) {
  require(v.Env(), v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array,
          std::string(what) + " must be a Uint8Array");
  return v.As<Napi::Uint8Array>();
}

Napi::Int32Array require_int32(const Napi::Value& v, const char* what) {
  require(v.Env(), v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_int32_array,
          std::string(what) + " must be an Int32Array");
  return v.As<Napi::Int32Array>();
}

Napi::Array to_js_ints(Napi::Env env, const std::vector<int>& values) {
  Napi::Array a = Napi::Array::New(env, values.size());
  for (size_t i = 0; i < values.size(); ++i) a.Set(static_cast<uint32_t>(i), Napi::Number::New(env, values[i]));
  return a;
}

Napi::Float32Array copy_to_js(Napi::Env env, const float* data, size_t n) {
  Napi::Float32Array out = Napi::Float32Array::New(env, n);
  if (n) std::memcpy(out.Data(), data, n * sizeof(float));
  return out;
}

}  // namespace cnn_addon
