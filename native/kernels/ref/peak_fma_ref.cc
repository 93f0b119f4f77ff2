// peak_fma_4x14__ref: 14 chains of 128-bit vectors (GCC/Clang vector extensions, so the baseline build
// gets SSE2 on x86-64 and NEON on aarch64), 7 of them multiplied and 7 added each round. The baseline
// x86-64 ISA has no FMA, and the reference kernels' acc += a * b compiles to a multiply and an add on
// separate ports, so this is their limit: 7 multiplies and 7 adds in flight cover 2 ports of each at a
// latency of 3 to 4 cycles, in 14 of SSE's 16 registers (the other two hold the operands); on a 2-core
// AMD EPYC, 7 + 7 chains ran 15% faster than 6 + 6 or 8 + 8. Counted as 1 flop per lane per operation.
#include "kernels/peak_fma.h"

namespace cnn::kernels {

namespace {

typedef float v4f __attribute__((vector_size(16)));
constexpr int kChains = 7;
constexpr int kUnroll = 4;

void peak_fma_4x14__ref(long iterations, float one, float zero, float* sink) {
  const v4f m = {one, one, one, one}, c = {zero, zero, zero, zero};
  v4f mul[kChains], add[kChains];
  for (int i = 0; i < kChains; ++i) mul[i] = add[i] = m;
  for (long it = 0; it < iterations; ++it) {
#pragma GCC unroll 4
    for (int u = 0; u < kUnroll; ++u) {
#pragma GCC unroll 7
      for (int i = 0; i < kChains; ++i) {
        mul[i] = mul[i] * m;
        add[i] = add[i] + c;
      }
    }
  }
  v4f s = c;
  for (int i = 0; i < kChains; ++i) s += mul[i] + add[i];
  *sink = s[0] + s[1] + s[2] + s[3];
}

}  // namespace

PeakLoop peak_loop_ref() {
  return {Isa::scalar, "peak_fma_4x14__ref", double(kUnroll) * kChains * 2 * 4, peak_fma_4x14__ref};
}

}  // namespace cnn::kernels
