// Each file of native/addon registers its part of the module's exports.
#pragma once
#include <napi.h>

namespace cnn_addon {
void register_calculators(Napi::Env env, Napi::Object exports);
void register_bench(Napi::Env env, Napi::Object exports);
void register_network(Napi::Env env, Napi::Object exports);
void register_mpi(Napi::Env env, Napi::Object exports);  // mpi_bridge.cc
}  // namespace cnn_addon
