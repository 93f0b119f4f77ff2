// Conversions between JavaScript values and the core's plain structs. V8 values stop here: workers
// only ever see the structs.
#pragma once
#include <napi.h>

#include <string>
#include <vector>

#include "core/network.h"

namespace cnn_addon {

cnn::NetworkSpec to_network_spec(const Napi::Object& spec);

int get_int(const Napi::Object& o, const char* key, int fallback);
double get_number(const Napi::Object& o, const char* key, double fallback);
bool get_bool(const Napi::Object& o, const char* key, bool fallback);
std::string get_string(const Napi::Object& o, const char* key, const std::string& fallback);
std::vector<int> get_int_array(const Napi::Object& o, const char* key);

Napi::Float32Array require_float32(const Napi::Value& v, const char* what);
Napi::Uint8Array require_uint8(const Napi::Value& v, const char* what);
Napi::Int32Array require_int32(const Napi::Value& v, const char* what);
Napi::Array to_js_ints(Napi::Env env, const std::vector<int>& values);
Napi::Float32Array copy_to_js(Napi::Env env, const float* data, size_t n);

}  // namespace cnn_addon
