#include "tests/harness.h"

#include <cstring>
#include <exception>

namespace cnn_test {

std::vector<Case>& registry() {
  static std::vector<Case> cases;
  return cases;
}

static int g_case_failures = 0;

void record_failure(const char* file, int line, const std::string& what) {
  if (g_case_failures < 20) std::fprintf(stderr, "    %s:%d: %s\n", file, line, what.c_str());
  ++g_case_failures;
}

int failures_in_current_case() { return g_case_failures; }

bool arrays_close(const float* got, const float* want, size_t n, double atol, double rtol, const char* file,
                  int line, const std::string& context) {
  size_t bad = 0, first = 0;
  for (size_t i = 0; i < n; ++i) {
    double g = got[i], w = want[i];
    bool ok = std::fabs(g - w) <= atol + rtol * std::fabs(w);
    if (!ok) {
      if (bad == 0) first = i;
      ++bad;
    }
  }
  if (bad) {
    std::ostringstream os;
    os << context << ": " << bad << " of " << n << " differ; first at index " << first << ": got " << got[first]
       << ", want " << want[first] << " (atol " << atol << ", rtol " << rtol << ")";
    record_failure(file, line, os.str());
  }
  return bad == 0;
}

}  // namespace cnn_test

int main(int argc, char** argv) {
  const char* filter = argc > 1 ? argv[1] : nullptr;
  int passed = 0, failed = 0;
  for (auto& c : cnn_test::registry()) {
    if (filter && !std::strstr(c.name, filter)) continue;
    cnn_test::g_case_failures = 0;
    try {
      c.fn();
    } catch (const std::exception& e) {
      cnn_test::record_failure(c.name, 0, std::string("uncaught exception: ") + e.what());
    }
    if (cnn_test::g_case_failures) {
      ++failed;
      std::printf("not ok - %s\n", c.name);
    } else {
      ++passed;
      std::printf("ok - %s\n", c.name);
    }
    std::fflush(stdout);
  }
  std::printf("native: %d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
