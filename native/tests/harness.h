// A minimal test harness for the native tests: TEST(name) registers a case; EXPECT_* record failures
// with file:line and the values involved; main() (harness.cc) runs every case, or those whose name
// contains argv[1], and ends with the line "N passed, N failed".
#pragma once
#include <cmath>
#include <cstdio>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace cnn_test {

struct Case {
  const char* name;
  std::function<void()> fn;
};
std::vector<Case>& registry();
void record_failure(const char* file, int line, const std::string& what);
int failures_in_current_case();

struct Registrar {
  Registrar(const char* name, std::function<void()> fn) { registry().push_back({name, std::move(fn)}); }
};

// Compares two float arrays; on mismatch reports the first failing index and how many failed.
// Tolerance: |a-b| <= atol + rtol*|b|.
bool arrays_close(const float* got, const float* want, size_t n, double atol, double rtol, const char* file,
                  int line, const std::string& context);

}  // namespace cnn_test

#define CNN_TEST_CONCAT2(a, b) a##b
#define CNN_TEST_CONCAT(a, b) CNN_TEST_CONCAT2(a, b)
#define TEST(name)                                                                       \
  static void name();                                                                    \
  static ::cnn_test::Registrar CNN_TEST_CONCAT(registrar_, name)(#name, name);           \
  static void name()

#define EXPECT_TRUE(cond)                                                                 \
  do {                                                                                    \
    if (!(cond)) ::cnn_test::record_failure(__FILE__, __LINE__, "expected " #cond);       \
  } while (0)

#define EXPECT_EQ(a, b)                                                                   \
  do {                                                                                    \
    auto va_ = (a);                                                                       \
    auto vb_ = (b);                                                                       \
    if (!(va_ == vb_)) {                                                                  \
      std::ostringstream os_;                                                             \
      os_ << #a " == " #b ": got " << va_ << " vs " << vb_;                               \
      ::cnn_test::record_failure(__FILE__, __LINE__, os_.str());                          \
    }                                                                                     \
  } while (0)

#define EXPECT_NEAR(a, b, tol)                                                            \
  do {                                                                                    \
    double va_ = (a), vb_ = (b);                                                          \
    if (!(std::fabs(va_ - vb_) <= (tol))) {                                               \
      std::ostringstream os_;                                                             \
      os_ << #a " ~ " #b ": got " << va_ << " vs " << vb_ << " (tol " << (tol) << ")";    \
      ::cnn_test::record_failure(__FILE__, __LINE__, os_.str());                          \
    }                                                                                     \
  } while (0)

#define EXPECT_THROWS(stmt)                                                               \
  do {                                                                                    \
    bool threw_ = false;                                                                  \
    try {                                                                                 \
      stmt;                                                                               \
    } catch (...) {                                                                       \
      threw_ = true;                                                                      \
    }                                                                                     \
    if (!threw_) ::cnn_test::record_failure(__FILE__, __LINE__, "expected a throw: " #stmt); \
  } while (0)

#define EXPECT_ARRAYS_CLOSE(got, want, n, atol, rtol, context) \
  ::cnn_test::arrays_close((got), (want), (n), (atol), (rtol), __FILE__, __LINE__, (context))
