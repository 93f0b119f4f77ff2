#include "core/parallel.h"

#include <algorithm>

#include "core/thread_pool.h"

namespace cnn {

void parallel_for(size_t count, size_t grain, const std::function<void(size_t, size_t)>& fn) {
  if (count == 0) return;
  grain = std::max<size_t>(grain, 1);
  ThreadPool& pool = ThreadPool::global();
  size_t max_tasks = size_t(pool.size()) * 4;
  size_t tasks = std::min(max_tasks, (count + grain - 1) / grain);
  if (tasks <= 1) {
    fn(0, count);
    return;
  }
  size_t per = (count + tasks - 1) / tasks;
  tasks = (count + per - 1) / per;
  pool.run(int(tasks), [&](int t) {
    size_t begin = size_t(t) * per, end = std::min(count, begin + per);
    fn(begin, end);
  });
}

void parallel_for_pinned(size_t count, size_t grain, const std::function<void(size_t, size_t)>& fn) {
  if (count == 0) return;
  grain = std::max<size_t>(grain, 1);
  ThreadPool& pool = ThreadPool::global();
  size_t tasks = std::min(size_t(pool.size()), (count + grain - 1) / grain);
  if (tasks <= 1) {
    fn(0, count);
    return;
  }
  // 16-float (64-byte) aligned boundaries: no cache line is written by two threads.
  size_t per = ((count + tasks - 1) / tasks + 15) / 16 * 16;
  tasks = (count + per - 1) / per;
  pool.run_pinned(int(tasks), [&](int t) {
    size_t begin = size_t(t) * per, end = std::min(count, begin + per);
    fn(begin, end);
  });
}

namespace {
constexpr size_t kRowsPerBlock = 256;
constexpr size_t kMaxBlocks = 64;

size_t block_rows(size_t rows) {
  size_t blocks = std::min(kMaxBlocks, std::max<size_t>(1, (rows + kRowsPerBlock - 1) / kRowsPerBlock));
  return (rows + blocks - 1) / blocks;
}
}  // namespace

// Each block of rows sums into its own double partials, in float over groups of kFloatRows rows first
// (float adds vectorise four to sixteen wide, double conversions two): a group's float error is that
// of 16 terms. The partials are added in block order. `row` fills the group's float sums for one row.
namespace {
constexpr size_t kFloatRows = 16;

template <typename RowFn>
void blocked_sums(size_t rows, size_t cols, bool second, std::vector<double>& scratch, double* s1, double* s2,
                  const RowFn& row) {
  std::fill(s1, s1 + cols, 0.0);
  if (second) std::fill(s2, s2 + cols, 0.0);
  if (rows == 0) return;
  size_t per = block_rows(rows);
  size_t blocks = (rows + per - 1) / per;
  size_t width = second ? 2 * cols : cols;
  if (scratch.size() < blocks * width) scratch.resize(blocks * width);
  // Pinned: contiguous blocks per thread, as the batch parts that wrote these rows ran.
  ThreadPool::global().run_pinned(int(blocks), [&](int blk) {
    thread_local std::vector<float> group;
    if (group.size() < width) group.resize(width);
    double* p = scratch.data() + size_t(blk) * width;
    std::fill(p, p + width, 0.0);
    size_t r0 = size_t(blk) * per, r1 = std::min(rows, r0 + per);
    for (size_t g0 = r0; g0 < r1; g0 += kFloatRows) {
      float* f = group.data();
      std::fill(f, f + width, 0.0f);
      for (size_t r = g0, g1 = std::min(r1, g0 + kFloatRows); r < g1; ++r) row(r, f, f + cols);
      for (size_t c = 0; c < width; ++c) p[c] += f[c];
    }
  });
  for (size_t blk = 0; blk < blocks; ++blk) {
    const double* p = scratch.data() + blk * width;
    for (size_t c = 0; c < cols; ++c) s1[c] += p[c];
    if (second)
      for (size_t c = 0; c < cols; ++c) s2[c] += p[cols + c];
  }
}
}  // namespace

void column_sums(const float* a, size_t rows, size_t cols, std::vector<double>& scratch, double* out) {
  blocked_sums(rows, cols, false, scratch, out, nullptr, [&](size_t r, float* f1, float*) {
    const float* ar = a + r * cols;
    for (size_t c = 0; c < cols; ++c) f1[c] += ar[c];
  });
}

void column_sums2(const float* a, const float* b, size_t rows, size_t cols, std::vector<double>& scratch,
                  double* s1, double* s2) {
  if (!s2) return column_sums(a, rows, cols, scratch, s1);
  blocked_sums(rows, cols, true, scratch, s1, s2, [&](size_t r, float* f1, float* f2) {
    const float* ar = a + r * cols;
    const float* br = b + r * cols;
    for (size_t c = 0; c < cols; ++c) {
      f1[c] += ar[c];
      f2[c] += ar[c] * br[c];
    }
  });
}

void center_columns(const float* x, size_t rows, size_t cols, const double* mean, float* out,
                    std::vector<double>& scratch, double* squares) {
  thread_local std::vector<float> mean_f;
  mean_f.assign(mean, mean + cols);
  const float* m = mean_f.data();
  thread_local std::vector<double> unused;
  unused.resize(cols);
  blocked_sums(rows, cols, true, scratch, unused.data(), squares, [&](size_t r, float*, float* f2) {
    const float* xr = x + r * cols;
    float* o = out + r * cols;
    for (size_t c = 0; c < cols; ++c) {
      const float d = xr[c] - m[c];
      o[c] = d;
      f2[c] += d * d;
    }
  });
}

}  // namespace cnn
