// Checked size arithmetic for everything computed from user numbers (shapes, geometry, buffer sizes).
// The core's loops index with int (GEMM dimensions, argmax indices, pixel coordinates), so every size
// a layer derives must stay within int32; products are formed in 64 bits and refused, never wrapped.
#pragma once
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>

#include "core/error.h"

namespace cnn {

inline constexpr int64_t kMaxInt32 = std::numeric_limits<int32_t>::max();
inline constexpr const char* kErrOutOfMemory = "ERR_OUT_OF_MEMORY";

// a * b for non-negative operands; throws (naming `what`) when the product passes `limit`.
inline int64_t checked_mul(int64_t a, int64_t b, int64_t limit, const std::string& what) {
  if (a < 0 || b < 0) throw Error(kErrInvalidArgument, what + " is negative");
  if (a != 0 && b > limit / a)
    throw Error(kErrInvalidArgument, what + " (" + std::to_string(a) + " x " + std::to_string(b) + ") exceeds " +
                                         std::to_string(limit));
  return a * b;
}

// The value itself when it lies in [1, kMaxInt32], else an error naming it.
inline int checked_int(int64_t v, const std::string& what) {
  if (v < 1 || v > kMaxInt32)
    throw Error(kErrInvalidArgument, what + " is " + std::to_string(v) + ", outside [1, " + std::to_string(kMaxInt32) + "]");
  return int(v);
}

}  // namespace cnn
