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

namespace {
constexpr size_t kRowsPerBlock = 256;
constexpr size_t kMaxBlocks = 64;

size_t block_rows(size_t rows) {
  size_t blocks = std::min(kMaxBlocks, std::max<size_t>(1, (rows + kRowsPerBlock - 1) / kRowsPerBlock));
  return (rows + blocks - 1) / blocks;
}
}  // namespace

void column_sums(const float* a, size_t rows, size_t cols, std::vector<double>& scratch, double* out) {
  column_sums2(a, nullptr, rows, cols, scratch, out, nullptr);
}

void column_sums2(const float* a, const float* b, size_t rows, size_t cols, std::vector<double>& scratch,
                  double* s1, double* s2) {
  std::fill(s1, s1 + cols, 0.0);
  if (s2) std::fill(s2, s2 + cols, 0.0);
  if (rows == 0) return;
  size_t per = block_rows(rows);
  size_t blocks = (rows + per - 1) / per;
  size_t width = s2 ? 2 * cols : cols;
  if (scratch.size() < blocks * width) scratch.resize(blocks * width);
  ThreadPool::global().run(int(blocks), [&](int blk) {
    double* p1 = scratch.data() + size_t(blk) * width;
    double* p2 = p1 + cols;
    std::fill(p1, p1 + width, 0.0);
    size_t r0 = size_t(blk) * per, r1 = std::min(rows, r0 + per);
    for (size_t r = r0; r < r1; ++r) {
      const float* ar = a + r * cols;
      for (size_t c = 0; c < cols; ++c) p1[c] += ar[c];
      if (s2) {
        const float* br = b + r * cols;
        for (size_t c = 0; c < cols; ++c) p2[c] += double(ar[c]) * br[c];
      }
    }
  });
  for (size_t blk = 0; blk < blocks; ++blk) {
    const double* p1 = scratch.data() + blk * width;
    for (size_t c = 0; c < cols; ++c) s1[c] += p1[c];
    if (s2)
      for (size_t c = 0; c < cols; ++c) s2[c] += p1[cols + c];
  }
}

}  // namespace cnn
