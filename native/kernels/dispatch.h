// The kernel table behind kernels.h: filled from ref/ first, then overridden by the best ISA the CPU
// has (or the one CNN_ISA names). Only dispatch.cc and the per-ISA fill functions touch it.
#pragma once
#include "kernels/gemm_packed.h"
#include "kernels/kernels.h"

namespace cnn::kernels {

struct KernelTable {
  Isa isa = Isa::scalar;
  GemmMicroKernel gemm_ukernel;  // the register tile the packed GEMM drives
  // A narrower tile for products with at most its mr rows (fn null: none). Conv2D with 3 filters computed
  // filters-as-rows has M = 3: the 12-row AVX-512 tile wastes 3/4 of its work there, the 6-row AVX2 one half.
  GemmMicroKernel gemm_ukernel_few_rows{};
  // The vectorisable loops of impl/vector_loops.h, compiled for this ISA.
  void (*maxpool_forward)(const PoolGeometry&, const float*, float*, int32_t*) = nullptr;
  void (*maxpool_backward)(const PoolGeometry&, const float*, const int32_t*, float*) = nullptr;
  void (*im2col_transposed)(const ConvGeometry&, const float*, float*, size_t, float*) = nullptr;
  void (*swish_forward)(const float*, float*, size_t) = nullptr;
  void (*swish_backward)(const float*, float*, size_t) = nullptr;
  // impl/conv_input_grad_loops.h; the last argument is scratch (conv_input_grad_direct sizes it).
  void (*conv_input_grad_direct)(const ConvGeometry&, int, const float*, const float*, float*, float*) = nullptr;
  // impl/conv_direct_loops.h; the trailing arguments are scratch (the wrappers size it).
  void (*conv_direct_planes)(const ConvGeometry&, const float*, float*) = nullptr;
  void (*conv_forward_direct)(const ConvGeometry&, int, const float*, const float*, const float*, bool, float*) = nullptr;
  void (*conv_weight_grad_direct)(const ConvGeometry&, int, const float*, const float*, float*, bool, float*,
                                  float*) = nullptr;
  // The optimizer loops of impl/optimizer_loops.h, compiled for this ISA.
  void (*adam_update)(float*, const float*, float*, float*, float*, size_t, const AdamStep&) = nullptr;
  void (*rmsprop_update)(float*, const float*, float*, float*, float*, size_t, const RmspropStep&) = nullptr;
};

const KernelTable& table();

// Each ISA contributes its overrides (defined in its own folder, compiled with its own flags).
void fill_table_ref(KernelTable& t);
void fill_vector_loops_ref(KernelTable& t);
#if defined(CNN_HAVE_AVX2)
void fill_table_avx2(KernelTable& t);
void fill_vector_loops_avx2(KernelTable& t);
#endif
#if defined(CNN_HAVE_AVX512)
void fill_table_avx512(KernelTable& t);
void fill_vector_loops_avx512(KernelTable& t);
#endif
#if defined(CNN_HAVE_NEON)
void fill_table_neon(KernelTable& t);
#endif

}  // namespace cnn::kernels
