// The table of peak loops: the reference one always, each SIMD one where the CPU (cpu_isas()) has it.
#include "kernels/peak_fma.h"

namespace cnn::kernels {

std::vector<PeakLoop> peak_loops() {
  std::vector<PeakLoop> out;
  for (Isa isa : cpu_isas()) {
    switch (isa) {
      case Isa::scalar: out.push_back(peak_loop_ref()); break;
#if defined(CNN_HAVE_AVX2)
      case Isa::avx2: out.push_back(peak_loop_avx2()); break;
#endif
#if defined(CNN_HAVE_AVX512)
      case Isa::avx512: out.push_back(peak_loop_avx512()); break;
#endif
#if defined(CNN_HAVE_NEON)
      case Isa::neon: out.push_back(peak_loop_neon()); break;
#endif
      default: break;
    }
  }
  return out;
}

}  // namespace cnn::kernels
