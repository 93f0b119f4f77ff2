// The module's table of exports, and nothing else (see exports.h for who registers what).
#include <napi.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "addon/errors.h"
#include "addon/exports.h"
#include "kernels/kernels.h"

namespace {

Napi::Value SetErrorClass(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  cnn_addon::require(env, info.Length() == 1 && info[0].IsFunction(), "setErrorClass takes a constructor");
  cnn_addon::set_error_class(env, info[0].As<Napi::Function>());
  return env.Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
#ifdef __GLIBC__
  // Process-wide (it changes every allocation of the process, not just ours): fix glibc's mmap
  // threshold at 128 KiB. By default glibc raises the threshold to the size of the largest mmapped block
  // freed so far; after the first network is freed, later activation and im2col buffers (hundreds of KiB
  // to MiBs) come from the heap, which fragments and is never returned: 200 build/fit/predict/drop
  // cycles grew RSS by about 230 MB. With a fixed threshold such buffers are mmapped and unmapped on
  // free (the cost: one mmap per large buffer, paid when a network grows its buffers, not per batch).
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
  exports.Set("setErrorClass", Napi::Function::New(env, SetErrorClass, "setErrorClass"));
  // CNN_ISA is read once here; a bad value is reported by src/native.ts through initIsa().
  exports.Set("initIsa", Napi::Function::New(
                             env,
                             [](const Napi::CallbackInfo& info) -> Napi::Value {
                               Napi::Env env = info.Env();
                               cnn_addon::guarded(env, [] { cnn::kernels::init_isa_from_env(); return 0; });
                               return env.Undefined();
                             },
                             "initIsa"));
  cnn_addon::register_calculators(env, exports);
  cnn_addon::register_bench(env, exports);
  cnn_addon::register_network(env, exports);
  cnn_addon::register_mpi(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(cnn, Init)
