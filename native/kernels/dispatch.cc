// CPU detection and the kernel table. The table starts as the reference kernels; at load time the
// best ISA that both the CPU and the OS support overrides it, unless CNN_ISA forces a choice.
#include "kernels/dispatch.h"

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "core/error.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#endif

namespace cnn::kernels {

namespace {

#if defined(__x86_64__) || defined(_M_X64)
uint64_t read_xcr0() {
  uint32_t eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (uint64_t(edx) << 32) | eax;
}

void detect_x86(bool& avx2, bool& avx512) {
  unsigned a, b, c, d;
  avx2 = avx512 = false;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return;
  const bool osxsave = c & (1u << 27), avx = c & (1u << 28), fma = c & (1u << 12);
  if (!osxsave || !avx) return;
  const uint64_t xcr0 = read_xcr0();
  const bool os_ymm = (xcr0 & 0x6) == 0x6;      // SSE and AVX state
  const bool os_zmm = (xcr0 & 0xe6) == 0xe6;    // plus opmask, ZMM_Hi256, Hi16_ZMM
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return;
  const bool has_avx2 = b & (1u << 5);
  const bool f = b & (1u << 16), dq = b & (1u << 17), bw = b & (1u << 30), vl = b & (1u << 31);
  avx2 = os_ymm && has_avx2 && fma;
  avx512 = avx2 && os_zmm && f && dq && bw && vl;
}
#endif

// Under AVX-512, GEMMs with at most 6 rows run on the AVX2 6x16 tile (the AVX-512 CPU has AVX2).
void add_few_rows_tile(KernelTable& t) {
  t.gemm_ukernel_few_rows = {};
#if defined(CNN_HAVE_AVX2) && defined(CNN_HAVE_AVX512)
  if (t.isa == Isa::avx512) {
    KernelTable avx2;
    fill_table_avx2(avx2);
    t.gemm_ukernel_few_rows = avx2.gemm_ukernel;
  }
#endif
}

// The reference table, then the ISA's overrides (each from its own folder and flags).
KernelTable build_table(Isa isa) {
  KernelTable t;
  fill_table_ref(t);
  fill_vector_loops_ref(t);
#if defined(CNN_HAVE_AVX2)
  if (isa == Isa::avx2) {
    fill_table_avx2(t);
    fill_vector_loops_avx2(t);
  }
#endif
#if defined(CNN_HAVE_AVX512)
  if (isa == Isa::avx512) {
    fill_table_avx512(t);
    fill_vector_loops_avx512(t);
  }
#endif
#if defined(CNN_HAVE_NEON)
  if (isa == Isa::neon) fill_table_neon(t);
#endif
  add_few_rows_tile(t);
  return t;
}

struct State {
  KernelTable table;
  std::vector<Isa> available;
  std::once_flag init;
};

State& state() {
  static State s;
  std::call_once(s.init, [&] {
    s.available.push_back(Isa::scalar);
#if defined(__x86_64__) || defined(_M_X64)
    bool avx2 = false, avx512 = false;
    detect_x86(avx2, avx512);
#if defined(CNN_HAVE_AVX2)
    if (avx2) s.available.push_back(Isa::avx2);
#endif
#if defined(CNN_HAVE_AVX512)
    if (avx512) s.available.push_back(Isa::avx512);
#endif
    (void)avx2;
    (void)avx512;
#endif
#if defined(CNN_HAVE_NEON)
    s.available.push_back(Isa::neon);  // every aarch64 CPU has Advanced SIMD
#endif
    s.table = build_table(s.available.back());
  });
  return s;
}

std::string available_list() {
  std::string out;
  for (Isa i : state().available) out += (out.empty() ? "" : ", ") + std::string(isa_name(i));
  return out;
}

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::scalar: return "scalar";
    case Isa::avx2: return "avx2";
    case Isa::avx512: return "avx512";
    case Isa::neon: return "neon";
  }
  return "unknown";
}

std::vector<Isa> cpu_isas() { return state().available; }

Isa active_isa() { return state().table.isa; }

const KernelTable& table() { return state().table; }

void select_isa(Isa isa) {
  State& s = state();
  bool ok = false;
  for (Isa i : s.available) ok = ok || i == isa;
  if (!ok)
    throw Error(kErrIsaUnavailable, std::string("CNN_ISA=") + isa_name(isa) +
                                        " is not available on this CPU or build (available: " + available_list() + ")");
  KernelTable t = build_table(isa);
  s.table = t;
}

void maxpool_forward(const PoolGeometry& g, const float* x, float* y, int32_t* argmax) {
  table().maxpool_forward(g, x, y, argmax);
}

void maxpool_backward(const PoolGeometry& g, const float* dy, const int32_t* argmax, float* dx) {
  table().maxpool_backward(g, dy, argmax, dx);
}

void im2col_transposed_nhwc(const ConvGeometry& g, const float* x, float* cols_t, size_t ld) {
  // The channel-planes scratch lives here, in baseline code, so no ISA file instantiates std::vector.
  thread_local std::vector<float> planes;
  const size_t need = g.in_c > 1 ? size_t(g.in_h) * g.in_w * g.in_c : 0;
  if (planes.size() < need) planes.resize(need);
  table().im2col_transposed(g, x, cols_t, ld, planes.data());
}

void conv_input_grad_direct(const ConvGeometry& g, int filters, const float* dz, const float* w, float* dx) {
  CNN_CHECK(g.stride_h == 1 && g.stride_w == 1 && g.dil_h == 1 && g.dil_w == 1 && filters > 0,
            "conv_input_grad_direct: needs stride 1, dilation 1 and at least one filter");
  // The zero-bordered dz planes, here in baseline code like im2col_transposed_nhwc's.
  thread_local std::vector<float> planes;
  const size_t need = size_t(filters) * (size_t(g.out_h) + 2 * size_t(g.k_h - 1)) * (size_t(g.out_w) + 2 * size_t(g.k_w - 1));
  if (planes.size() < need) planes.resize(need);
  table().conv_input_grad_direct(g, filters, dz, w, dx, planes.data());
}

namespace {
void check_direct(const ConvGeometry& g, int filters, const char* what) {
  CNN_CHECK(g.stride_h == 1 && g.stride_w == 1 && g.dil_h == 1 && g.dil_w == 1 && filters >= 1 &&
                filters <= kDirectMaxFilters,
            std::string(what) + ": needs stride 1, dilation 1 and 1 to " + std::to_string(kDirectMaxFilters) + " filters");
}

// 64-byte aligned scratch: the weight-gradient loop keeps 16-float vectors in it.
float* aligned_scratch(std::vector<float>& v, size_t floats) {
  if (v.size() < floats + 16) v.resize(floats + 16);
  uintptr_t at = reinterpret_cast<uintptr_t>(v.data());
  return v.data() + ((64 - at % 64) % 64) / sizeof(float);
}
}  // namespace

// The zero-padded input planes of impl/conv_direct_loops.h: per item, in_c planes of out_h + k_h - 1 rows
// of (out_w rounded up to 16) + k_w - 1 floats.
size_t conv_direct_planes_floats(const ConvGeometry& g) {
  const size_t ow_pad = (size_t(g.out_w) + 15) / 16 * 16;
  return size_t(g.in_c) * (size_t(g.out_h) + g.k_h - 1) * (ow_pad + g.k_w - 1);
}

void conv_direct_planes(const ConvGeometry& g, const float* x, float* planes) {
  check_direct(g, 1, "conv_direct_planes");
  table().conv_direct_planes(g, x, planes);
}

void conv_forward_direct(const ConvGeometry& g, int filters, const float* planes, const float* w, const float* bias,
                         bool relu, float* y) {
  check_direct(g, filters, "conv_forward_direct");
  table().conv_forward_direct(g, filters, planes, w, bias, relu, y);
}

void conv_weight_grad_direct(const ConvGeometry& g, int filters, const float* planes, const float* dz, float* dw,
                             bool accumulate) {
  check_direct(g, filters, "conv_weight_grad_direct");
  thread_local std::vector<float> dzp, sums;
  const size_t dz_need = size_t(filters) * g.out_h * ((size_t(g.out_w) + 15) / 16 * 16);
  const size_t sums_need = size_t(g.k_h) * g.k_w * g.in_c * filters * 16;
  table().conv_weight_grad_direct(g, filters, planes, dz, dw, accumulate, aligned_scratch(dzp, dz_need),
                                  aligned_scratch(sums, sums_need));
}

void swish_forward(const float* z, float* y, size_t n) { table().swish_forward(z, y, n); }

void swish_backward(const float* z, float* g, size_t n) { table().swish_backward(z, g, n); }

void adam_update(float* w, const float* g, float* m, float* v, float* vhat, size_t n, const AdamStep& s) {
  table().adam_update(w, g, m, v, vhat, n, s);
}

void rmsprop_update(float* w, const float* g, float* vel, float* mom, float* avg, size_t n, const RmspropStep& s) {
  table().rmsprop_update(w, g, vel, mom, avg, n, s);
}

void select_isa_by_name(const std::string& name) {
  if (name == "scalar") return select_isa(Isa::scalar);
  if (name == "avx2") return select_isa(Isa::avx2);
  if (name == "avx512") return select_isa(Isa::avx512);
  if (name == "neon") return select_isa(Isa::neon);
  throw Error(kErrIsaUnavailable, "CNN_ISA=" + name + " is not a known ISA (use scalar, avx2, avx512 or neon; available here: " +
                                      available_list() + ")");
}

void init_isa_from_env() {
  const char* env = std::getenv("CNN_ISA");
  if (env && *env) select_isa_by_name(env);
}

void sgemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
           int ldb, float beta, float* C, int ldc, ThreadPool* pool) {
  // Leading dimensions shorter than a row would read and write out of bounds.
  CNN_CHECK(M >= 0 && N >= 0 && K >= 0, "sgemm: negative matrix size");
  CNN_CHECK(lda >= std::max(1, trans_a ? M : K) && ldb >= std::max(1, trans_b ? K : N) && ldc >= std::max(1, N),
            "sgemm: a leading dimension is shorter than its row");
  const KernelTable& t = table();
  const bool few_rows = t.gemm_ukernel_few_rows.fn != nullptr && M <= t.gemm_ukernel_few_rows.mr;
  sgemm_packed(few_rows ? t.gemm_ukernel_few_rows : t.gemm_ukernel, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, pool);
}

}  // namespace cnn::kernels
