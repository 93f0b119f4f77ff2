// The public face of native/kernels: the numerical primitives the layers are built from.
// Each entry point dispatches through a table filled from ref/ and overridden at load time by the best
// ISA the CPU has (see dispatch.cc); CNN_ISA=scalar|avx2|avx512|neon forces one.
// All tensors are float32, row-major, NHWC.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace cnn {
class ThreadPool;
}

namespace cnn::kernels {

enum class Isa { scalar, avx2, avx512, neon };

const char* isa_name(Isa isa);
std::vector<Isa> cpu_isas();   // what this CPU can run; always contains scalar
Isa active_isa();
void select_isa(Isa isa);      // throws cnn::Error(ERR_ISA_UNAVAILABLE) naming what the CPU has
void select_isa_by_name(const std::string& name);  // "scalar", "avx2", "avx512", "neon"
void init_isa_from_env();      // reads CNN_ISA once; called by the addon at load

// ---- GEMM ---------------------------------------------------------------------------------
// C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C.  Row-major with leading dimensions.
// op(A) = A (trans_a false, A is MxK, lda >= K) or A^T (A is KxM, lda >= M); likewise B.
// beta == 0 means C is overwritten (C may hold NaN garbage). pool == nullptr runs on the caller.
void sgemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda,
           const float* B, int ldb, float beta, float* C, int ldc, ThreadPool* pool = nullptr);
// The plain triple loop the fast paths are tested against (double accumulation).
void sgemm_ref(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda,
               const float* B, int ldb, float beta, float* C, int ldc);

// ---- convolution geometry, im2col / col2im --------------------------------------------------
struct ConvGeometry {
  int batch, in_h, in_w, in_c;
  int k_h, k_w, stride_h, stride_w, dil_h, dil_w;
  int pad_top, pad_left;  // the odd pixel of "same" goes to bottom/right, as in Keras
  int out_h, out_w;
};
// padding_same false = "valid". Throws cnn::Error when the output would be empty.
ConvGeometry make_conv_geometry(int batch, int in_h, int in_w, int in_c, int k_h, int k_w, int stride_h,
                                int stride_w, int dil_h, int dil_w, bool padding_same);
// cols is [batch*out_h*out_w, k_h*k_w*in_c] with column index (kh*k_w + kw)*in_c + c; padding reads 0.
void im2col_nhwc(const ConvGeometry& g, const float* x, float* cols);
// The transpose of im2col_nhwc: cols_t[k * ld + row] for k < k_h*k_w*in_c and row < batch*out_h*out_w
// (ld >= that many rows). Its rows are planes of one tap, which a GEMM reads as B without transposing:
// the layout for products computed with the filters as rows (Conv2D with few filters).
void im2col_transposed_nhwc(const ConvGeometry& g, const float* x, float* cols_t, size_t ld);
// dx [batch, in_h, in_w, in_c] is overwritten with the sum of every column entry that maps onto it.
void col2im_nhwc(const ConvGeometry& g, const float* cols, float* dx);

// Conv2D input gradient computed directly, for stride 1 and dilation 1 (checked): dx [batch, in_h,
// in_w, in_c] is overwritten with sum over (ky, kx, f) of dz[b, iy + pad_top - ky, ix + pad_left - kx, f]
// * w[((ky*k_w + kx)*in_c + c)*filters + f] over the dz positions inside the output; dz is [batch, out_h,
// out_w, filters], w the (kh, kw, in, out) kernel. What col2im_nhwc(dZ W^T) gives, without the column
// matrix: Conv2D uses it for few filters, where that product's K is the filter count.
void conv_input_grad_direct(const ConvGeometry& g, int filters, const float* dz, const float* w, float* dx);
// The forward product and the weight gradient the same way, for stride 1, dilation 1 and 1 to
// kDirectMaxFilters filters (checked). Both read x [batch, in_h, in_w, in_c] as the zero-padded planes
// that conv_direct_planes fills (conv_direct_planes_floats(g) floats per batch item), so a layer fills
// them once in forward and reuses them in backward; the references read x itself.
//   conv_forward_direct: y[b, oy, ox, f] = bias[f] + sum over taps t = (ky*k_w + kx)*in_c + c of
//     x[b, oy + ky - pad_top, ox + kx - pad_left, c] * w[t*filters + f] (padding reads 0; y NHWC; bias may
//     be null), then max(y, 0) when relu is set: im2col's product with the bias and ReLU applied.
//   conv_weight_grad_direct: dw[t*filters + f] = (accumulate ? dw : 0) + sum over b, oy, ox of
//     x[b, oy + ky - pad_top, ox + kx - pad_left, c] * dz[b, oy, ox, f].
inline constexpr int kDirectMaxFilters = 8;
size_t conv_direct_planes_floats(const ConvGeometry& g);
void conv_direct_planes(const ConvGeometry& g, const float* x, float* planes);
void conv_forward_direct(const ConvGeometry& g, int filters, const float* planes, const float* w, const float* bias,
                         bool relu, float* y);
void conv_forward_direct_ref(const ConvGeometry& g, int filters, const float* x, const float* w, const float* bias,
                             bool relu, float* y);
void conv_weight_grad_direct(const ConvGeometry& g, int filters, const float* planes, const float* dz, float* dw,
                             bool accumulate);
void conv_weight_grad_direct_ref(const ConvGeometry& g, int filters, const float* x, const float* dz, float* dw,
                                 bool accumulate);
void conv_input_grad_direct_ref(const ConvGeometry& g, int filters, const float* dz, const float* w, float* dx);

// ---- pooling ----------------------------------------------------------------------------------
struct PoolGeometry {
  int batch, in_h, in_w, c;
  int pool_h, pool_w, stride_h, stride_w;
  int pad_top, pad_left;
  int out_h, out_w;
};
PoolGeometry make_pool_geometry(int batch, int in_h, int in_w, int c, int pool_h, int pool_w, int stride_h,
                                int stride_w, bool padding_same);
// Max ignores padded cells; argmax holds the flat input index (within the batch item) of each max.
void maxpool_forward(const PoolGeometry& g, const float* x, float* y, int32_t* argmax);
void maxpool_forward_ref(const PoolGeometry& g, const float* x, float* y, int32_t* argmax);  // plain loops
// dx = 0, then dx[argmax[o]] += dy[o] for every output o in order (per batch item).
void maxpool_backward(const PoolGeometry& g, const float* dy, const int32_t* argmax, float* dx);
void maxpool_backward_ref(const PoolGeometry& g, const float* dy, const int32_t* argmax, float* dx);  // plain loops
// Average divides by the number of real (unpadded) cells in each window.
void avgpool_forward(const PoolGeometry& g, const float* x, float* y);
void avgpool_backward(const PoolGeometry& g, const float* dy, float* dx);

// ---- activations ---------------------------------------------------------------------------
// swish (silu): y = z * sigmoid(z); backward g *= s + z*s*(1-s). The dispatched versions use a
// vectorisable exp (within 2 ulp of expf); the references use std::exp.
void swish_forward(const float* z, float* y, size_t n);
void swish_backward(const float* z, float* g, size_t n);
void swish_forward_ref(const float* z, float* y, size_t n);
void swish_backward_ref(const float* z, float* g, size_t n);

// ---- optimizer updates ---------------------------------------------------------------------------
// Keras's Adam and RMSprop over n parameters, in place (core/optimizers.cc computes the step's
// constants). Adam: m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2); with vhat (amsgrad, else null)
// vhat = max(vhat, v) replaces v; w -= alpha m / (sqrt(v) + eps). RMSprop: vel = rho vel + (1 - rho) g^2;
// with avg (centered, else null) avg = rho avg + (1 - rho) g and the denominator is vel - avg^2;
// inc = lr g / sqrt(denominator + eps); with mom (momentum > 0, else null) mom = momentum mom + inc and
// w -= mom, else w -= inc. The dispatched versions equal the references bit for bit on every ISA.
struct AdamStep {
  float one_minus_beta_1, one_minus_beta_2, alpha, epsilon;
};
struct RmspropStep {
  float rho, one_minus_rho, learning_rate, momentum, epsilon;
};
void adam_update(float* w, const float* g, float* m, float* v, float* vhat, size_t n, const AdamStep& s);
void adam_update_ref(float* w, const float* g, float* m, float* v, float* vhat, size_t n, const AdamStep& s);
void rmsprop_update(float* w, const float* g, float* vel, float* mom, float* avg, size_t n, const RmspropStep& s);
void rmsprop_update_ref(float* w, const float* g, float* vel, float* mom, float* avg, size_t n, const RmspropStep& s);

}  // namespace cnn::kernels
