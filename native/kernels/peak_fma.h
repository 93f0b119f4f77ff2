// Pure multiply-add loops, one per ISA, for `cnn bench peak`: the floating-point limit of this CPU that
// the GEMM and the training step are measured against. Each loop keeps enough independent accumulator
// chains to hide the latency of the multiply-add, so it is bound by the FMA ports' throughput alone.
// The per-ISA loops live in their ISA's folder (compiled with its flags only), the reference one in ref/.
#pragma once
#include <vector>

#include "kernels/kernels.h"

namespace cnn::kernels {

// run(iterations, one, zero, sink): `iterations` rounds of the loop's multiply-adds on accumulators
// that start at `one`; every round is acc = acc * one + zero, so the values never change (no overflow,
// no denormals) but the caller's `one` and `zero` are unknown to the compiler, which therefore cannot
// drop or fold a single operation. The accumulators' sum is written to *sink.
struct PeakLoop {
  Isa isa;
  const char* name;           // the function, as the GEMM tiles are named
  double flops_per_iteration; // 2 per multiply-add lane
  void (*run)(long iterations, float one, float zero, float* sink);
};

// The loops this CPU and build can run, in cpu_isas() order (scalar first).
std::vector<PeakLoop> peak_loops();

// Per ISA. The reference loop uses the baseline build's 128-bit vectors (SSE2 on x86-64, NEON on
// aarch64) with a separate multiply and add: what the reference kernels reach when the compiler
// vectorises them (the x86-64 baseline has no FMA).
PeakLoop peak_loop_ref();
#if defined(CNN_HAVE_AVX2)
PeakLoop peak_loop_avx2();
#endif
#if defined(CNN_HAVE_AVX512)
PeakLoop peak_loop_avx512();
#endif
#if defined(CNN_HAVE_NEON)
PeakLoop peak_loop_neon();
#endif

}  // namespace cnn::kernels
