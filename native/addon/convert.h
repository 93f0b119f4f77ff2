// Conversions between JavaScript values and the core's plain structs. V8 values stop here: workers
// only ever see the structs.
#pragma once
#include <napi.h>

#include <climits>
#include <cstdint>
#include <string>
#include <vector>

#include "core/network.h"

namespace cnn_addon {

cnn::NetworkSpec to_network_spec(const Napi::Object& spec);
// A layer's "preprocessing" object (convert_preprocessing.cc).
cnn::PreprocessingSpec to_preprocessing_spec(const Napi::Object& layer);

// Numbers cross the boundary checked, never wrapped: an integer must be an integer-valued number within
// [min, max] (NaN, 1.5, Infinity, 2^31 or 2^32+1 for an int are refused with a CnnError naming `what`),
// a double must be finite.
int to_int(const Napi::Value& v, const std::string& what, int min = INT32_MIN, int max = INT32_MAX);
int64_t to_int64(const Napi::Value& v, const std::string& what, int64_t min, int64_t max);
double to_finite(const Napi::Value& v, const std::string& what);

inline constexpr int64_t kMaxSafeInteger = (int64_t(1) << 53) - 1;  // Number.MAX_SAFE_INTEGER

int get_int(const Napi::Object& o, const char* key, int fallback, int min = INT32_MIN, int max = INT32_MAX);
double get_number(const Napi::Object& o, const char* key, double fallback);
bool get_bool(const Napi::Object& o, const char* key, bool fallback);
std::string get_string(const Napi::Object& o, const char* key, const std::string& fallback);
std::vector<int> get_int_array(const Napi::Object& o, const char* key, int min = 1, int max = INT32_MAX);

Napi::Float32Array require_float32(const Napi::Value& v, const char* what);
Napi::Uint8Array require_uint8(const Napi::Value& v, const char* what);
Napi::Int32Array require_int32(const Napi::Value& v, const char* what);
Napi::Array to_js_ints(Napi::Env env, const std::vector<int>& values);
Napi::Float32Array copy_to_js(Napi::Env env, const float* data, size_t n);

}  // namespace cnn_addon
