// Turns core failures into the one JavaScript error type (CnnError, handed over by src/native.ts at
// load time) with the core's code, so TypeScript sees `err.code` whatever failed.
#pragma once
#include <napi.h>

#include <new>
#include <stdexcept>
#include <string>

#include "core/checked.h"
#include "core/error.h"

namespace cnn_addon {

void set_error_class(Napi::Env env, Napi::Function cls);
Napi::Error make_error(Napi::Env env, const std::string& code, const std::string& message);
// Runs fn, converting cnn::Error and std::exception into a thrown CnnError.
template <typename Fn>
auto guarded(Napi::Env env, Fn&& fn) -> decltype(fn());
[[noreturn]] void throw_current(Napi::Env env);

// Runs a worker's job off the main thread: a core error becomes (code, message) for OnError, and no
// exception escapes into libuv. Returns false when the job failed.
template <typename Fn>
bool run_job(Fn&& fn, std::string& code, std::string& message) noexcept {
  try {
    fn();
    return true;
  } catch (const cnn::Error& e) {
    code = e.code();
    message = e.what();
  } catch (const std::bad_alloc&) {
    code = cnn::kErrOutOfMemory;
    message = "out of memory in the native core";
  } catch (const std::exception& e) {
    code = cnn::kErrAssert;
    message = e.what();
  }
  return false;
}

// Argument checks at the boundary: a misuse of the addon is a CnnError (ERR_INVALID_ARGUMENT), never a crash.
void require(Napi::Env env, bool ok, const std::string& what);

}  // namespace cnn_addon

template <typename Fn>
auto cnn_addon::guarded(Napi::Env env, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    throw_current(env);
  }
}
