// The peak multiply-add loops of `cnn bench peak`: each ISA's loop does exactly the work it claims
// (the additions it counts all happen),
// and the timed benchmark gives a positive, finite GFLOP/s for every ISA and refuses an unknown one.
#include <cmath>
#include <cstdio>
#include <string>

#include "core/bench_peak.h"
#include "core/error.h"
#include "kernels/peak_fma.h"
#include "tests/harness.h"

using namespace cnn::kernels;

TEST(peak_loops_cover_every_cpu_isa_and_keep_their_accumulators) {
  const auto loops = peak_loops();
  EXPECT_EQ(loops.size(), cpu_isas().size());
  for (const PeakLoop& l : loops) {
    // Every round adds `zero` to each accumulator lane once per multiply-add (or once per add of the
    // reference loop, whose other half are multiplies): half the counted flops are these additions.
    float before = -1, after = -1;
    l.run(0, 1.0f, 0.5f, &before);
    l.run(3, 1.0f, 0.5f, &after);
    EXPECT_NEAR(after - before, 0.5 * 3 * l.flops_per_iteration / 2, 0);
    if (after - before != float(0.5 * 3 * l.flops_per_iteration / 2)) std::printf("    loop %s\n", l.name);
  }
}

TEST(bench_peak_measures_every_isa_and_refuses_an_unknown_one) {
  for (const std::string& isa : cnn::peak_isas()) {
    for (int threads : {1, 2}) {
      const auto r = cnn::bench_peak(isa, threads, 0.02);
      EXPECT_TRUE(std::isfinite(r.gflops) && r.gflops > 0);
      EXPECT_EQ(r.isa, isa);
      EXPECT_EQ(r.threads, threads);
    }
  }
  std::string code;
  try {
    cnn::bench_peak("mmx", 1, 0.01);
  } catch (const cnn::Error& e) {
    code = e.code();
  }
  EXPECT_EQ(code, std::string("ERR_ISA_UNAVAILABLE"));
}
