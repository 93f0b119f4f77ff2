#include "core/layers/conv2d.h"

#include <algorithm>

#include "core/error.h"
#include "core/initializers.h"
#include "core/parallel.h"
#include "core/thread_pool.h"

namespace cnn {

void transpose_hwc_to_chw(const float* src, float* dst, int n, int h, int w, int c) {
  size_t plane = size_t(h) * w, item = plane * c;
  parallel_for(size_t(n) * c, 8, [&](size_t b, size_t e) {
    for (size_t t = b; t < e; ++t) {
      size_t i = t / c, ch = t % c;
      const float* s = src + i * item + ch;
      float* d = dst + i * item + ch * plane;
      for (size_t p = 0; p < plane; ++p) d[p] = s[p * c];
    }
  });
}

void transpose_chw_to_hwc(const float* src, float* dst, int n, int c, int h, int w) {
  size_t plane = size_t(h) * w, item = plane * c;
  parallel_for(size_t(n) * c, 8, [&](size_t b, size_t e) {
    for (size_t t = b; t < e; ++t) {
      size_t i = t / c, ch = t % c;
      const float* s = src + i * item + ch * plane;
      float* d = dst + i * item + ch;
      for (size_t p = 0; p < plane; ++p) d[p * c] = s[p];
    }
  });
}

static_assert(Conv2DLayer::kTransposedFilterLimit <= kernels::kDirectMaxFilters,
              "the direct loops must take every filter count the transposed path does");

namespace {
constexpr size_t kSumBlockRows = 64;

// sums[c] = sum over rows of a[r, c]: float sums over fixed blocks of rows, added in double, so the
// inner loop vectorises and the result does not depend on the thread count. With few columns (3 or 6
// filters) `group` rows are summed as one flat row of group * cols floats, which vectorises where a
// 3-float row does not, and folded onto the columns per block.
void column_sums_blocked(const float* a, size_t rows, size_t cols, std::vector<float>& block, double* sums) {
  const size_t group = std::max<size_t>(1, 64 / cols), width = group * cols;
  block.assign(width, 0.0f);
  std::fill(sums, sums + cols, 0.0);
  float* acc = block.data();
  for (size_t r0 = 0; r0 < rows; r0 += kSumBlockRows * group) {
    const size_t r1 = std::min(rows, r0 + kSumBlockRows * group);
    size_t r = r0;
    for (; r + group <= r1; r += group)
      for (size_t j = 0; j < width; ++j) acc[j] += a[r * cols + j];
    for (; r < r1; ++r)
      for (size_t c = 0; c < cols; ++c) acc[c] += a[r * cols + c];
    for (size_t j = 0; j < width; ++j) sums[j % cols] += acc[j], acc[j] = 0.0f;
  }
}

// The same sums of dL/dz, in the pass that turns dL/dy into it for a ReLU: dz = 0 where y <= 0
// (y = relu(z) is positive exactly where z is).
void relu_backward_column_sums(float* dy, const float* y, size_t rows, size_t cols, std::vector<float>& block,
                               double* sums) {
  block.assign(cols, 0.0f);
  std::fill(sums, sums + cols, 0.0);
  float* acc = block.data();
  for (size_t r0 = 0; r0 < rows; r0 += kSumBlockRows) {
    for (size_t r = r0, r1 = std::min(rows, r0 + kSumBlockRows); r < r1; ++r)
      for (size_t c = 0; c < cols; ++c) {
        float v = y[r * cols + c] > 0.0f ? dy[r * cols + c] : 0.0f;
        dy[r * cols + c] = v;
        acc[c] += v;
      }
    for (size_t c = 0; c < cols; ++c) sums[c] += acc[c], acc[c] = 0.0f;
  }
}
}  // namespace

Conv2DLayer::Conv2DLayer(const LayerSpec& spec, int index, InitContext& init)
    : Layer(spec, index), act_(parse_activation(spec.activation)) {
  const std::string& nm = spec.name;
  CNN_CHECK(spec.input_shape.size() == 3, nm + ": Conv2D needs a 3-D input per example, got " + shape_text(spec.input_shape));
  CNN_CHECK(spec.filters > 0, nm + ": filters must be positive");
  for (int i = 0; i < 2; ++i) {
    CNN_CHECK(spec.kernel_size[i] > 0, nm + ": kernel_size must be positive");
    CNN_CHECK(spec.strides[i] > 0, nm + ": strides must be positive");
    CNN_CHECK(spec.dilation_rate[i] > 0, nm + ": dilation_rate must be positive");
  }
  bool strided = spec.strides[0] > 1 || spec.strides[1] > 1;
  bool dilated = spec.dilation_rate[0] > 1 || spec.dilation_rate[1] > 1;
  CNN_CHECK(!(strided && dilated), nm + ": strides > 1 together with dilation_rate > 1 is not supported (as in Keras)");
  const auto& s = spec.input_shape;
  if (spec.channels_first) {
    in_c_ = s[0], in_h_ = s[1], in_w_ = s[2];
  } else {
    in_h_ = s[0], in_w_ = s[1], in_c_ = s[2];
  }
  filters_ = spec.filters;
  // The geometry is checked in 64 bits there: every index its windows reach, the patch and the output
  // plane fit in int32.
  geo_ = with_layer_name(nm, [&] {
    return kernels::make_conv_geometry(1, in_h_, in_w_, in_c_, spec.kernel_size[0], spec.kernel_size[1],
                                       spec.strides[0], spec.strides[1], spec.dilation_rate[0], spec.dilation_rate[1],
                                       spec.padding_same);
  });
  patch_ = size_t(geo_.k_h) * geo_.k_w * in_c_;
  positions_ = size_t(geo_.out_h) * geo_.out_w;
  if (spec.channels_first)
    set_output_shape({filters_, geo_.out_h, geo_.out_w});
  else
    set_output_shape({geo_.out_h, geo_.out_w, filters_});
  add_param("kernel", {geo_.k_h, geo_.k_w, in_c_, filters_}, true);
  params_[0].regularizer = spec.kernel_regularizer;
  initialize(spec.kernel_initializer, params_[0].info.shape, init.next_key(), params_[0].value, nm + ".kernel");
  if (spec.use_bias) {
    add_param("bias", {filters_}, true);
    params_[1].regularizer = spec.bias_regularizer;
    initialize(spec.bias_initializer, params_[1].info.shape, init.next_key(), params_[1].value, nm + ".bias");
  }
  sums_.resize(size_t(filters_));
  // A GEMM with N = filters pads N to the micro-kernel's 32 columns: with 3 filters, 10x the work. With
  // the filters as rows instead (C^T = W^T cols^T), they pad to its 12 rows, so a few filters cost less.
  transposed_gemm_ = filters_ <= kTransposedFilterLimit;
  // ReLU and linear in NHWC need no pre-activation buffer: the bias and ReLU are applied in place on
  // the product, and ReLU's backward reads its derivative from the output.
  in_place_epilogue_ = !spec.channels_first && (act_ == Activation::relu || act_ == Activation::linear);
  // With few filters, stride 1 and no dilation there is no column matrix at all: the forward product,
  // the weight gradient and the input gradient (whose GEMM would have K = filters, then col2im) are
  // computed directly from the input (kernels::conv_*_direct).
  direct_ = transposed_gemm_ && geo_.stride_h == 1 && geo_.stride_w == 1 && geo_.dil_h == 1 &&
                       geo_.dil_w == 1;
}

int Conv2DLayer::chunk_examples() const {
  size_t per_example = positions_ * patch_;
  return int(std::max<size_t>(1, kColumnBudget / std::max<size_t>(per_example, 1)));
}

void Conv2DLayer::reserve(int max_batch) {
  size_t chunk = size_t(std::min(max_batch, chunk_examples()));
  if (!direct_) {
    cols_.resize(chunk * positions_ * patch_);
    dcols_.resize(chunk * positions_ * patch_);
  } else {
    planes_.resize(chunk * kernels::conv_direct_planes_floats(geo_));
  }
  if (transposed_gemm_ && !direct_) {
    zt_.resize(chunk * positions_ * size_t(filters_));
    dwt_.resize(patch_ * size_t(filters_));
  }
  if (!in_place_epilogue_ && act_ != Activation::linear) z_.resize(size_t(max_batch) * out_size_);
  if (spec_.channels_first) {
    x_nhwc_.resize(size_t(max_batch) * in_size_);
    dx_nhwc_.resize(size_t(max_batch) * in_size_);
    z_nhwc_.resize(size_t(max_batch) * out_size_);
  }
}

// Every example's rows of the column matrix are independent, so examples are expanded in parallel.
// With few filters the chunk is expanded transposed ([patch, count*positions]), see the constructor.
void Conv2DLayer::im2col_chunk(const float* x_nhwc, int first, int count, float* cols) const {
  const size_t rows = size_t(count) * positions_;
  ThreadPool::global().run(count, [&](int i) {
    const float* xi = x_nhwc + size_t(first + i) * in_size_;
    if (transposed_gemm_)
      kernels::im2col_transposed_nhwc(geo_, xi, cols + size_t(i) * positions_, rows);
    else
      kernels::im2col_nhwc(geo_, xi, cols + size_t(i) * positions_ * patch_);
  });
}

void Conv2DLayer::forward(const float* x, float* y, int n, const RunContext&) {
  const float* xin = x;
  if (spec_.channels_first) {
    transpose_chw_to_hwc(x, x_nhwc_.data(), n, in_c_, in_h_, in_w_);
    xin = x_nhwc_.data();
  }
  // Conv output in NHWC: straight into y when nothing follows or the epilogue runs in place, else into
  // the buffer the next step reads.
  float* z_out = in_place_epilogue_ || act_ == Activation::linear ? y : z_.data();
  const bool relu_here = in_place_epilogue_ && act_ == Activation::relu;
  float* conv_out = spec_.channels_first ? z_nhwc_.data() : z_out;
  const float* w = param_value(0);
  const float* b = spec_.use_bias ? param_value(1) : nullptr;
  ThreadPool* pool = &ThreadPool::global();
  int chunk = chunk_examples();
  for (int first = 0; first < n; first += chunk) {
    int count = std::min(chunk, n - first);
    int rows = int(size_t(count) * positions_);
    if (!direct_) im2col_chunk(xin, first, count, cols_.data());
    float* out = conv_out + size_t(first) * out_size_;
    if (direct_) {  // straight into the NHWC output, bias and ReLU included; the planes stay for backward
      const size_t item_planes = kernels::conv_direct_planes_floats(geo_);
      ThreadPool::global().run(count, [&](int i) {
        float* planes = planes_.data() + size_t(i) * item_planes;
        kernels::conv_direct_planes(geo_, xin + size_t(first + i) * in_size_, planes);
        kernels::conv_forward_direct(geo_, filters_, planes, w, b, relu_here, out + size_t(i) * out_size_);
      });
      continue;
    }
    if (transposed_gemm_) {
      // zt [F, rows] = W^T cols_t, then transposed into the NHWC output with the bias added on the way.
      kernels::sgemm(true, false, filters_, rows, int(patch_), 1.0f, w, filters_, cols_.data(), rows, 0.0f,
                     zt_.data(), rows, pool);
      const float* zt = zt_.data();
      const int f_count = filters_;
      parallel_for(size_t(rows), 1024, [&](size_t r0, size_t r1) {
        for (size_t r = r0; r < r1; ++r)
          for (int f = 0; f < f_count; ++f) {
            float v = zt[size_t(f) * rows + r] + (b ? b[f] : 0.0f);
            out[r * f_count + f] = relu_here && !(v > 0.0f) ? 0.0f : v;
          }
      });
      continue;
    }
    kernels::sgemm(false, false, rows, filters_, int(patch_), 1.0f, cols_.data(), int(patch_), w, filters_, 0.0f, out,
                   filters_, pool);
    if (b || relu_here) {
      const int f_count = filters_;
      parallel_for(size_t(rows), 256, [&](size_t r0, size_t r1) {
        for (size_t r = r0; r < r1; ++r) {
          float* o = out + r * f_count;
          for (int f = 0; f < f_count; ++f) {
            float v = o[f] + (b ? b[f] : 0.0f);
            o[f] = relu_here && !(v > 0.0f) ? 0.0f : v;
          }
        }
      });
    }
  }
  cols_hold_batch_ = chunk >= n;
  cols_batch_ = n;
  if (spec_.channels_first) transpose_hwc_to_chw(conv_out, z_out, n, geo_.out_h, geo_.out_w, filters_);
  if (!in_place_epilogue_ && act_ != Activation::linear) {
    size_t last = size_t(out_shape_.back());
    activation_forward(act_, z_out, y, size_t(n) * out_size_ / last, last);
  }
}

void Conv2DLayer::backward(const float* x, const float* y, float* dy, float* dx, int n) {
  // In place: ReLU's derivative is applied in the bias-gradient pass below (or here without a bias).
  const bool relu_here = in_place_epilogue_ && act_ == Activation::relu && !dy_is_preactivation;
  if (!dy_is_preactivation && !in_place_epilogue_) {
    size_t last = size_t(out_shape_.back());
    activation_backward(act_, z_.data(), y, dy, size_t(n) * out_size_ / last, last);
  }
  if (relu_here && !spec_.use_bias) activation_backward(Activation::relu, y, y, dy, size_t(n) * positions_, size_t(filters_));
  if (relu_here && spec_.use_bias) {
    relu_backward_column_sums(dy, y, size_t(n) * positions_, size_t(filters_), block_sums_, sums_.data());
    for (int f = 0; f < filters_; ++f) params_[1].grad[f] = float(sums_[f]);
  }
  const float* dz = dy;  // NHWC gradient with respect to the conv output
  const float* xin = x;
  if (spec_.channels_first) {
    transpose_chw_to_hwc(dy, z_nhwc_.data(), n, filters_, geo_.out_h, geo_.out_w);
    dz = z_nhwc_.data();
    xin = x_nhwc_.data();  // still holds this batch's transposed input from forward()
  }
  float* dxin = spec_.channels_first ? (dx ? dx_nhwc_.data() : nullptr) : dx;
  ThreadPool* pool = &ThreadPool::global();
  float* dw = params_[0].grad.data();
  const float* w = param_value(0);
  int chunk = chunk_examples();
  for (int first = 0; first < n; first += chunk) {
    int count = std::min(chunk, n - first);
    int rows = int(size_t(count) * positions_);
    const float* dzc = dz + size_t(first) * out_size_;
    if (direct_) {
      kernels::ConvGeometry chunk_geo = geo_;
      chunk_geo.batch = count;
      // forward() left this batch's planes when it ran in one chunk (cols_hold_batch_ says so for both).
      if (!(cols_hold_batch_ && cols_batch_ == n)) kernels::conv_direct_planes(chunk_geo, xin + size_t(first) * in_size_, planes_.data());
      kernels::conv_weight_grad_direct(chunk_geo, filters_, planes_.data(), dzc, dw, first != 0);
      if (dxin)
        ThreadPool::global().run(count, [&](int i) {
          kernels::conv_input_grad_direct(geo_, filters_, dzc + size_t(i) * out_size_, w,
                                          dxin + size_t(first + i) * in_size_);
        });
      continue;
    }
    // backward() always follows the forward() of the same batch, so a one-chunk expansion is still there.
    if (!(cols_hold_batch_ && cols_batch_ == n)) im2col_chunk(xin, first, count, cols_.data());
    // dW (+)= cols^T dZ: chunks accumulate in a fixed order. Few filters: dW^T (+)= dZ^T cols_t^T instead.
    if (transposed_gemm_)
      kernels::sgemm(true, true, filters_, int(patch_), rows, 1.0f, dzc, filters_, cols_.data(), rows,
                     first == 0 ? 0.0f : 1.0f, dwt_.data(), int(patch_), pool);
    else
      kernels::sgemm(true, false, int(patch_), filters_, rows, 1.0f, cols_.data(), int(patch_), dzc, filters_,
                     first == 0 ? 0.0f : 1.0f, dw, filters_, pool);
    if (dxin) {
      kernels::sgemm(false, true, rows, int(patch_), filters_, 1.0f, dzc, filters_, w, filters_, 0.0f, dcols_.data(),
                     int(patch_), pool);
      ThreadPool::global().run(count, [&](int i) {
        kernels::col2im_nhwc(geo_, dcols_.data() + size_t(i) * positions_ * patch_,
                             dxin + size_t(first + i) * in_size_);
      });
    }
  }
  if (transposed_gemm_ && !direct_)
    for (size_t k = 0; k < patch_; ++k)
      for (int f = 0; f < filters_; ++f) dw[k * filters_ + f] = dwt_[size_t(f) * patch_ + k];
  if (spec_.use_bias && !relu_here) {
    column_sums_blocked(dz, size_t(n) * positions_, size_t(filters_), block_sums_, sums_.data());
    for (int f = 0; f < filters_; ++f) params_[1].grad[f] = float(sums_[f]);
  }
  if (spec_.channels_first && dx) transpose_hwc_to_chw(dxin, dx, n, in_h_, in_w_, in_c_);
}

}  // namespace cnn
