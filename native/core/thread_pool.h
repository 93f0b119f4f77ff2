// One pool of worker threads shared by every kernel and layer.
// Size: CNN_THREADS if set, else the number of cores; set_global_threads() changes it. The JavaScript
// loader (src/native.ts, src/threads.ts) checks CNN_THREADS itself, refusing what default_threads()
// would ignore, and sets the size explicitly before anything reads the variable here; both apply the
// same rules (plain digits, 1..1024, at most twice the core count).
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
  // The same, with thread i first offered the contiguous run of tasks [i * tasks / size(), (i + 1) *
  // tasks / size()) (the caller is thread 0), so consecutive calls that split the same data into the
  // same or proportional contiguous ranges (the batch parts, a layer's row blocks, a GEMM's row tiles,
  // parallel_for_pinned) mostly find each range in the same core's cache; a thread that is done
  // with its own tasks takes the not yet started tasks of a slower one (a core the VM host took away for
  // a moment), last first. Up to 64 tasks; more are handed out in turn as run() does.
  void run_pinned(int tasks, const std::function<void(int task)>& fn);

  static ThreadPool& global();
  static void set_global_threads(int threads);  // threads >= 1
  // CNN_THREADS (capped at twice the core count) or the core count; a malformed value is ignored.
  static int default_threads();

 private:
  void run_job(int tasks, const std::function<void(int task)>& fn, bool pinned);
  struct Impl;
  Impl* impl_;
};

}  // namespace cnn
