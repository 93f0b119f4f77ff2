#include "core/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/error.h"

namespace cnn {

namespace {
// True on a pool worker and on a caller while it runs tasks: a nested run() executes inline.
thread_local bool t_inside_pool = false;

// Layers call run() many times per batch, often back to back: a worker that just finished spins this
// many rounds for the next job before sleeping, and the caller spins for the workers to finish, which
// saves two futex wake-ups (several microseconds each) per call.
constexpr int kSpinRounds = 4000;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}
}  // namespace

struct ThreadPool::Impl {
  int threads = 1;
  std::vector<std::thread> workers;
  std::mutex mu;
  std::condition_variable wake, done;
  // The job: written by run() before `generation` is bumped (release), read by workers after they
  // see the new generation (acquire).
  const std::function<void(int)>* job = nullptr;
  int tasks = 0;
  std::atomic<int> next{0};
  // run_pinned: thread i is first offered the contiguous run of tasks [i * tasks / threads, (i + 1) *
  // tasks / threads); a thread done with its own tasks takes the others' not yet started ones, last
  // first (claimed[t] says which are taken).
  static constexpr int kMaxPinnedTasks = 64;
  bool pinned = false;
  std::atomic<bool> claimed[kMaxPinnedTasks];
  std::atomic<int> active{0};  // workers still inside the current job
  std::atomic<uint64_t> generation{0};
  std::atomic<bool> stop{false};
  std::mutex run_mu;         // one run() at a time per pool
  std::exception_ptr error;  // the first task failure of the current job (guarded by mu)

  // Runs tasks until none are left; a failing task stops the handing out and is rethrown by run().
  // Pinned: thread index i (the caller is 0) runs its own run of tasks, then any left unclaimed.
  void run_task(int t) {
    try {
      (*job)(t);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu);
      if (!error) error = std::current_exception();
      next.store(tasks);
    }
  }

  void work_on_job(int thread_index) {
    if (pinned) {
      const int own_end = int(int64_t(thread_index + 1) * tasks / threads);
      for (int t = int(int64_t(thread_index) * tasks / threads); t < own_end && next.load(std::memory_order_relaxed) < tasks; ++t)
        if (!claimed[t].exchange(true, std::memory_order_acq_rel)) run_task(t);
      for (int t = tasks - 1; t >= 0 && next.load(std::memory_order_relaxed) < tasks; --t)
        if (!claimed[t].exchange(true, std::memory_order_acq_rel)) run_task(t);
      return;
    }
    for (;;) {
      int t = next.fetch_add(1);
      if (t >= tasks) break;
      run_task(t);
    }
  }

  void worker_loop(int index) {  // index: 1 .. threads - 1
    t_inside_pool = true;
    uint64_t seen = 0;
    for (;;) {
      bool ready = false;
      for (int i = 0; i < kSpinRounds && !ready; ++i) {
        ready = stop.load(std::memory_order_acquire) || generation.load(std::memory_order_acquire) != seen;
        if (!ready) cpu_relax();
      }
      if (!ready) {
        std::unique_lock<std::mutex> lock(mu);
        wake.wait(lock, [&] { return stop.load() || generation.load() != seen; });
      }
      if (stop.load(std::memory_order_acquire)) return;
      seen = generation.load(std::memory_order_acquire);
      work_on_job(index);
      if (active.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lock(mu);  // pairs with the predicate check in run()
        done.notify_all();
      }
    }
  }
};

ThreadPool::ThreadPool(int threads) : impl_(new Impl()) {
  impl_->threads = std::max(1, threads);
  for (int i = 1; i < impl_->threads; ++i) impl_->workers.emplace_back([this, i] { impl_->worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stop.store(true);
  }
  impl_->wake.notify_all();
  for (auto& w : impl_->workers) w.join();
  delete impl_;
}

int ThreadPool::size() const { return impl_->threads; }

void ThreadPool::run(int tasks, const std::function<void(int task)>& fn) { run_job(tasks, fn, false); }
void ThreadPool::run_pinned(int tasks, const std::function<void(int task)>& fn) {
  run_job(tasks, fn, tasks <= Impl::kMaxPinnedTasks);
}

void ThreadPool::run_job(int tasks, const std::function<void(int task)>& fn, bool pinned) {
  if (tasks <= 0) return;
  if (t_inside_pool || impl_->threads == 1 || tasks == 1) {
    for (int t = 0; t < tasks; ++t) fn(t);
    return;
  }
  std::lock_guard<std::mutex> serial(impl_->run_mu);
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->job = &fn;
    impl_->tasks = tasks;
    impl_->pinned = pinned;
    if (pinned)
      for (int t = 0; t < tasks; ++t) impl_->claimed[t].store(false, std::memory_order_relaxed);
    impl_->next.store(0);
    impl_->active.store(int(impl_->workers.size()));
    impl_->error = nullptr;
    impl_->generation.fetch_add(1, std::memory_order_release);
  }
  impl_->wake.notify_all();
  t_inside_pool = true;
  impl_->work_on_job(0);
  t_inside_pool = false;
  for (int i = 0; i < kSpinRounds && impl_->active.load(std::memory_order_acquire) != 0; ++i) cpu_relax();
  std::exception_ptr error;
  {
    std::unique_lock<std::mutex> lock(impl_->mu);
    impl_->done.wait(lock, [&] { return impl_->active.load(std::memory_order_acquire) == 0; });
    impl_->job = nullptr;
    error = impl_->error;
    impl_->error = nullptr;
  }
  if (error) std::rethrow_exception(error);
}

int ThreadPool::default_threads() {
  unsigned hc = std::thread::hardware_concurrency();
  const int cores = hc ? int(hc) : 1;
  if (const char* env = std::getenv("CNN_THREADS")) {
    // Plain digits only, as src/threads.ts accepts them (strtol alone would take " 3" and "+3").
    bool digits = *env != '\0';
    for (const char* c = env; *c; ++c) digits = digits && *c >= '0' && *c <= '9';
    long n = digits ? std::strtol(env, nullptr, 10) : 0;
    // More threads than cores only slows the spinning pool down; the cap is the loader's.
    if (digits && n >= 1 && n <= 1024) return std::min(int(n), std::min(1024, 2 * cores));
  }
  return cores;
}

namespace {
std::mutex g_global_mu;
std::unique_ptr<ThreadPool>& global_slot() {
  static std::unique_ptr<ThreadPool> pool;
  return pool;
}
}  // namespace

ThreadPool& ThreadPool::global() {
  std::lock_guard<std::mutex> lock(g_global_mu);
  auto& slot = global_slot();
  if (!slot) slot.reset(new ThreadPool(default_threads()));
  return *slot;
}

void ThreadPool::set_global_threads(int threads) {
  CNN_CHECK(threads >= 1 && threads <= 1024, "thread count must be between 1 and 1024");
  std::lock_guard<std::mutex> lock(g_global_mu);
  auto& slot = global_slot();
  if (slot && slot->size() == threads) return;
  slot.reset(new ThreadPool(threads));
}

}  // namespace cnn
