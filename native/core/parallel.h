// Batch-parallel helpers over ThreadPool::global(). Results never depend on the number of threads:
// ranges write disjoint outputs, and reductions sum fixed-size row blocks in block order.
#pragma once
#include <cstddef>
#include <functional>
#include <vector>

namespace cnn {

// Calls fn(begin, end) on contiguous sub-ranges of [0, count), each at least `grain` long (except the
// last), in parallel. Small counts run inline.
void parallel_for(size_t count, size_t grain, const std::function<void(size_t begin, size_t end)>& fn);

// Same, in one contiguous range per thread, range t on thread t (ThreadPool::run_pinned), for
// element-wise passes over arrays that the threads wrote in the same split just before: each thread's
// range then stays in its own core's cache.
void parallel_for_pinned(size_t count, size_t grain, const std::function<void(size_t begin, size_t end)>& fn);

// out[c] = sum over rows r of a[r*cols + c], accumulated in double over float sums of 16 rows. The row blocks are fixed by `rows`
// alone, so the result is bit-identical for any thread count. `scratch` is reused between calls.
void column_sums(const float* a, size_t rows, size_t cols, std::vector<double>& scratch, double* out);

// Same, for two products at once: s1[c] = sum a[r,c], s2[c] = sum a[r,c]*b[r,c] (b may equal a).
void column_sums2(const float* a, const float* b, size_t rows, size_t cols, std::vector<double>& scratch,
                  double* s1, double* s2);

// out[r, c] = x[r, c] - mean[c] (mean rounded to float once, as BatchNormalization centres) and
// squares[c] = sum over rows of out[r, c]^2, in one pass, with column_sums2's blocks.
void center_columns(const float* x, size_t rows, size_t cols, const double* mean, float* out,
                    std::vector<double>& scratch, double* squares);

}  // namespace cnn
