#include "core/bench_peak.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

#include "core/error.h"
#include "core/thread_pool.h"
#include "kernels/peak_fma.h"

namespace cnn {

namespace {

// Opaque to the compiler at the loops' call: they multiply by this and add the other.
volatile float g_one = 1.0f, g_zero = 0.0f;

constexpr int kRuns = 3;

const kernels::PeakLoop& find_loop(const std::vector<kernels::PeakLoop>& loops, const std::string& isa) {
  std::string names;
  for (const auto& l : loops) {
    if (isa == kernels::isa_name(l.isa)) return l;
    names += (names.empty() ? "" : ", ") + std::string(kernels::isa_name(l.isa));
  }
  throw Error(kErrIsaUnavailable, "bench peak: ISA " + isa + " is not available on this CPU or build (available: " + names + ")");
}

}  // namespace

std::vector<std::string> peak_isas() {
  std::vector<std::string> out;
  for (const auto& l : kernels::peak_loops()) out.push_back(kernels::isa_name(l.isa));
  return out;
}

PeakBenchResult bench_peak(const std::string& isa, int threads, double min_seconds) {
  CNN_CHECK(threads >= 1 && min_seconds > 0, "bench peak: threads and seconds must be positive");
  const std::vector<kernels::PeakLoop> loops = kernels::peak_loops();
  const kernels::PeakLoop& loop = find_loop(loops, isa);
  ThreadPool pool(threads);
  std::vector<float> sinks(size_t(threads) * 16);  // a cache line per thread
  auto timed = [&](long iterations) {
    const float one = g_one, zero = g_zero;
    auto t0 = std::chrono::steady_clock::now();
    pool.run(threads, [&](int t) { loop.run(iterations, one, zero, &sinks[size_t(t) * 16]); });
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  // Calibration (which also wakes the pool and lets the clock ramp up): double the count until a run
  // takes an eighth of the target. Then three runs of a third of the target each, the fastest kept: a
  // peak is what the machine can do, and on a shared machine another process's burst only slows a run.
  long iterations = 1000;
  double seconds = timed(iterations);
  while (seconds < min_seconds / 8 && iterations < (1L << 40)) {
    iterations *= 2;
    seconds = timed(iterations);
  }
  iterations = std::max(1L, long(std::ceil(double(iterations) * min_seconds / 3 / std::max(seconds, 1e-9))));
  seconds = timed(iterations);
  for (int run = 1; run < kRuns; ++run) seconds = std::min(seconds, timed(iterations));
  for (float s : sinks) CNN_CHECK(std::isfinite(s), "bench peak: the loop's accumulators are not finite");
  const double flops = loop.flops_per_iteration * double(iterations) * threads;
  return {isa, loop.name, threads, flops / seconds / 1e9, seconds};
}

}  // namespace cnn
