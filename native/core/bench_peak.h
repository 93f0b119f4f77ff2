// Times the pure multiply-add loops of kernels/peak_fma.h for `cnn bench peak`: the GFLOP/s ceiling of
// each ISA at a thread count, which `cnn bench train` divides its achieved GFLOP/s by.
#pragma once
#include <string>
#include <vector>

namespace cnn {

struct PeakBenchResult {
  std::string isa;   // "scalar", "avx2", "avx512", "neon"
  std::string loop;  // the loop's function name
  int threads;
  double gflops;     // all threads together
  double seconds;    // the fastest timed run (the calibration before them is not counted)
};

// The ISAs whose loops this CPU and build can run (scalar first).
std::vector<std::string> peak_isas();

// Runs the ISA's loop on `threads` threads at once (a pool of its own), each thread the same number of
// iterations, calibrated so that three timed runs take about min_seconds together; the fastest counts.
// Throws ERR_ISA_UNAVAILABLE for an ISA not in peak_isas().
PeakBenchResult bench_peak(const std::string& isa, int threads, double min_seconds);

}  // namespace cnn
