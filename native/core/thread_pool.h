// One pool of worker threads shared by every kernel and layer.
// Size: CNN_THREADS if set, else the number of cores; set_global_threads() changes it.
// run() blocks until every task is done. A call made from inside a task runs inline on the calling
// thread (no nested parallelism, no deadlock). Which worker runs a task never changes a result:
// callers give each task its own output, or reduce per-task partials in task order.
#pragma once
#include <functional>

namespace cnn {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const;
  // Calls fn(task) for every task in [0, tasks).
  void run(int tasks, const std::function<void(int task)>& fn);

  static ThreadPool& global();
  static void set_global_threads(int threads);  // threads >= 1
  static int default_threads();                 // CNN_THREADS or hardware concurrency

 private:
  struct Impl;
  Impl* impl_;
};

}  // namespace cnn
