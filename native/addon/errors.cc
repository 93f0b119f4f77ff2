#include "addon/errors.h"

#include <exception>

#include "core/checked.h"
#include "core/error.h"

namespace cnn_addon {

namespace {
struct ErrorClass {
  Napi::FunctionReference ctor;
};
}  // namespace

void set_error_class(Napi::Env env, Napi::Function cls) {
  auto* data = env.GetInstanceData<ErrorClass>();
  if (!data) {
    data = new ErrorClass();
    env.SetInstanceData<ErrorClass>(data);
  }
  data->ctor = Napi::Persistent(cls);
}

Napi::Error make_error(Napi::Env env, const std::string& code, const std::string& message) {
  auto* data = env.GetInstanceData<ErrorClass>();
  if (data && !data->ctor.IsEmpty()) {
    Napi::Value err = data->ctor.New({Napi::String::New(env, code), Napi::String::New(env, message)});
    return Napi::Error(env, err);
  }
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, code));
  return err;
}

void throw_current(Napi::Env env) {
  try {
    throw;
  } catch (const cnn::Error& e) {
    throw make_error(env, e.code(), e.what());
  } catch (const std::bad_alloc&) {
    throw make_error(env, cnn::kErrOutOfMemory, "out of memory in the native core");
  } catch (const std::exception& e) {
    throw make_error(env, cnn::kErrAssert, e.what());
  }
}

void require(Napi::Env env, bool ok, const std::string& what) {
  if (!ok) throw make_error(env, cnn::kErrInvalidArgument, "cnn native: " + what);
}

}  // namespace cnn_addon
