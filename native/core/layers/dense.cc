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
// Up to this many rows (a batch of 32, an inference slice of 64), the products are computed transposed: y^T = W^T x^T
// and dx^T = W dy^T. Then W is the GEMM's A operand, read in place and streamed once per product, where
// as B it was re-read for every 12-row tile of x (forward) or packed again on every call (dx), and the
// threads split its thousands of rows instead of a batch's three row tiles.
constexpr int kTransposedRows = 64;

// The transposed forward sums over the input units in fixed chunks, each its own product, added in
// chunk order, and each thread takes a contiguous run of chunks: then the rows of W that a thread reads
// in forward are the rows whose gradient it writes in backward (the GEMMs split those rows the same way)
// and whose update it runs (parallel_for_pinned). On a core W's rows never sit in the other core's cache
// when they are written: splitting the outputs instead had both cores read every row of W, and the
// update's writes to those shared lines took 1.5x as long on two threads as the whole update on one.
constexpr int kMaxInputChunks = 8;
constexpr int kMinChunkUnits = 256;

int input_chunks(int in_units) { return std::max(1, std::min(kMaxInputChunks, in_units / kMinChunkUnits)); }
}  // namespace

void DenseLayer::reserve(int max_batch) {
  // The GEMM's row count is int: batch x rows per example must fit.
  int64_t rows = with_layer_name(spec_.name, [&] {
    return checked_mul(max_batch, int64_t(rows_per_example_), kMaxInt32, "batch x rows");
  });
  if (act_ != Activation::linear) z_.resize(size_t(max_batch) * out_size_);
  const size_t transposed_rows = size_t(std::min<int64_t>(rows, kTransposedRows));
  transposed_.resize(transposed_rows * size_t(std::max(in_units_, out_units_)));
  input_chunks_ = input_chunks(in_units_);
  if (input_chunks_ > 1) partials_.resize(size_t(input_chunks_) * transposed_rows * size_t(out_units_));
}

void DenseLayer::forward_transposed_chunks(const float* x, float* zt, int rows) {
  const int out = out_units_, chunks = input_chunks_;
  const int per_chunk = (in_units_ + chunks - 1) / chunks;
  const size_t partial = size_t(out) * size_t(rows);
  const float* w = param_value(0);
  ThreadPool& pool = ThreadPool::global();
  const int tasks = std::min(pool.size(), chunks);
  pool.run_pinned(tasks, [&](int t) {
    for (int c = chunks * t / tasks; c < chunks * (t + 1) / tasks; ++c) {
      const int i0 = c * per_chunk, k = std::min(in_units_, i0 + per_chunk) - i0;
      kernels::sgemm(true, true, out, rows, k, 1.0f, w + size_t(i0) * out, out, x + i0, in_units_, 0.0f,
                     partials_.data() + size_t(c) * partial, rows, nullptr);
    }
  });
  std::copy(partials_.data(), partials_.data() + partial, zt);
  for (int c = 1; c < chunks; ++c) {
    const float* p = partials_.data() + size_t(c) * partial;
    for (size_t i = 0; i < partial; ++i) zt[i] += p[i];
  }
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
    if (input_chunks_ > 1)
      forward_transposed_chunks(x, zt, rows);
    else
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
    parallel_for_pinned(in, 1024, [&](size_t i0, size_t i1) {
      for (int r = 0; r < rows; ++r)
        for (size_t i = i0; i < i1; ++i) dx[size_t(r) * in + i] = dxt[i * rows + r];
    });
    return;
  }
  kernels::sgemm(false, true, rows, in_units_, out_units_, 1.0f, dy, out_units_, param_value(0), out_units_, 0.0f, dx,
                 in_units_, pool);
}

}  // namespace cnn
