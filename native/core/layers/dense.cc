#include "core/layers/dense.h"

#include <algorithm>

#include "core/error.h"
#include "core/initializers.h"
#include "core/parallel.h"
#include "core/thread_pool.h"
#include "kernels/kernels.h"

namespace cnn {

DenseLayer::DenseLayer(const LayerSpec& spec, int index, InitContext& init)
    : Layer(spec, index), act_(parse_activation(spec.activation)) {
  CNN_CHECK(spec.units > 0, spec.name + ": units must be positive");
  in_units_ = spec.input_shape.back();
  // Its output is a per-example activation: set_output_shape() refuses one past int32 elements.
  out_units_ = spec.units;
  rows_per_example_ = in_size_ / size_t(in_units_);
  std::vector<int> out = spec.input_shape;
  out.back() = out_units_;
  set_output_shape(out);
  add_param("kernel", {in_units_, out_units_}, true);
  params_[0].regularizer = spec.kernel_regularizer;
  initialize(spec.kernel_initializer, params_[0].info.shape, init.next_key(), params_[0].value, spec.name + ".kernel");
  if (spec.use_bias) {
    add_param("bias", {out_units_}, true);
    params_[1].regularizer = spec.bias_regularizer;
    initialize(spec.bias_initializer, params_[1].info.shape, init.next_key(), params_[1].value, spec.name + ".bias");
  }
  sums_.resize(size_t(out_units_));
}

namespace {
// Up to this many rows (a batch of 32, a batch part), the products are computed transposed: y^T = W^T x^T
// and dx^T = W dy^T. Then W is the GEMM's A operand, read in place and streamed once per product, where
// as B it was re-read for every 12-row tile of x (forward) or packed again on every call (dx), and the
// threads split its thousands of rows instead of a batch's three row tiles.
constexpr int kTransposedRows = 48;
}  // namespace

void DenseLayer::reserve(int max_batch) {
  // The GEMM's row count is int: batch x rows per example must fit.
  int64_t rows = with_layer_name(spec_.name, [&] {
    return checked_mul(max_batch, int64_t(rows_per_example_), kMaxInt32, "batch x rows");
  });
  if (act_ != Activation::linear) z_.resize(size_t(max_batch) * out_size_);
  transposed_.resize(size_t(std::min<int64_t>(rows, kTransposedRows)) * size_t(std::max(in_units_, out_units_)));
}

void DenseLayer::forward(const float* x, float* y, int n, const RunContext&) {
  int rows = int(size_t(n) * rows_per_example_);
  float* z = act_ == Activation::linear ? y : z_.data();
  const float* w = param_value(0);
  const float* b = spec_.use_bias ? param_value(1) : nullptr;
  ThreadPool* pool = &ThreadPool::global();
  const int out = out_units_;
  if (rows <= kTransposedRows) {
    float* zt = transposed_.data();  // [out, rows]
    kernels::sgemm(true, true, out, rows, in_units_, 1.0f, w, out, x, in_units_, 0.0f, zt, rows, pool);
    for (int r = 0; r < rows; ++r)
      for (int o = 0; o < out; ++o) z[size_t(r) * out + o] = zt[size_t(o) * rows + r] + (b ? b[o] : 0.0f);
  } else {
    kernels::sgemm(false, false, rows, out, in_units_, 1.0f, x, in_units_, w, out, 0.0f, z, out, pool);
    if (b) {
      parallel_for(size_t(rows), 64, [&](size_t r0, size_t r1) {
        for (size_t r = r0; r < r1; ++r)
          for (int o = 0; o < out; ++o) z[r * out + o] += b[o];
      });
    }
  }
  if (act_ != Activation::linear) activation_forward(act_, z, y, size_t(rows), size_t(out_units_));
}

void DenseLayer::backward(const float* x, const float* y, float* dy, float* dx, int n) {
  int rows = int(size_t(n) * rows_per_example_);
  if (!dy_is_preactivation) activation_backward(act_, z_.data(), y, dy, size_t(rows), size_t(out_units_));
  ThreadPool* pool = &ThreadPool::global();
  kernels::sgemm(true, false, in_units_, out_units_, rows, 1.0f, x, in_units_, dy, out_units_, 0.0f,
                 params_[0].grad.data(), out_units_, pool);
  if (spec_.use_bias) {
    column_sums(dy, size_t(rows), size_t(out_units_), scratch_, sums_.data());
    for (int o = 0; o < out_units_; ++o) params_[1].grad[o] = float(sums_[o]);
  }
  if (!dx) return;
  if (rows <= kTransposedRows) {
    float* dxt = transposed_.data();  // [in, rows]
    kernels::sgemm(false, true, in_units_, rows, out_units_, 1.0f, param_value(0), out_units_, dy, out_units_, 0.0f,
                   dxt, rows, pool);
    const size_t in = size_t(in_units_);
    parallel_for(in, 1024, [&](size_t i0, size_t i1) {
      for (int r = 0; r < rows; ++r)
        for (size_t i = i0; i < i1; ++i) dx[size_t(r) * in + i] = dxt[i * rows + r];
    });
    return;
  }
  kernels::sgemm(false, true, rows, in_units_, out_units_, 1.0f, dy, out_units_, param_value(0), out_units_, 0.0f, dx,
                 in_units_, pool);
}

}  // namespace cnn
