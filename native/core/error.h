// The one error type of the core. Its `code` is stable: the addon turns it into a JavaScript CnnError
// with the same code, so TypeScript can tell a bad argument from an internal failure.
#pragma once
#include <stdexcept>
#include <string>
#include <utility>

namespace cnn {

class Error : public std::runtime_error {
 public:
  Error(std::string code, const std::string& message)
      : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

// Codes used across the core.
inline constexpr const char* kErrInvalidArgument = "ERR_INVALID_ARGUMENT";
inline constexpr const char* kErrIsaUnavailable = "ERR_ISA_UNAVAILABLE";
inline constexpr const char* kErrAssert = "ERR_NATIVE_ASSERT";
inline constexpr const char* kErrNonFinite = "ERR_NON_FINITE";

}  // namespace cnn

// Checks an invariant the TypeScript side is supposed to guarantee. It throws instead of aborting so a
// misuse of the addon becomes a JavaScript exception, never a crash.
#define CNN_CHECK(cond, msg)                                                                   \
  do {                                                                                         \
    if (!(cond))                                                                               \
      throw ::cnn::Error(::cnn::kErrInvalidArgument, std::string(msg) + " (check failed: " #cond ")"); \
  } while (0)
