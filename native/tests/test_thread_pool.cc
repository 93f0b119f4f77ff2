// ThreadPool: every task runs once, nested runs are inline, task failures reach the caller, and the
// size comes from CNN_THREADS.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/thread_pool.h"
#include "tests/harness.h"

using namespace cnn;

TEST(thread_pool_runs_every_task_once_and_nests_inline) {
  for (int threads : {1, 2, 4}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.size(), threads);
    for (int round = 0; round < 50; ++round) {
      std::vector<int> hits(37, 0);
      std::atomic<int> nested{0};
      pool.run(37, [&](int t) {
        hits[t] += 1;
        pool.run(3, [&](int) { nested.fetch_add(1); });  // nested: runs inline, no deadlock
      });
      for (int h : hits) EXPECT_EQ(h, 1);
      EXPECT_EQ(nested.load(), 37 * 3);
    }
    pool.run(0, [&](int) { EXPECT_TRUE(false); });
  }
}

TEST(thread_pool_rethrows_a_failing_task_and_stays_usable) {
  ThreadPool pool(2);
  for (int failing : {0, 3, 9}) {
    bool threw = false;
    try {
      pool.run(10, [&](int t) {
        if (t == failing) throw Error(kErrInvalidArgument, "task " + std::to_string(t) + " failed");
      });
    } catch (const Error& e) {
      threw = true;
      EXPECT_EQ(std::string(e.what()), "task " + std::to_string(failing) + " failed");
    }
    EXPECT_TRUE(threw);
  }
  std::atomic<int> count{0};
  pool.run(20, [&](int) { count.fetch_add(1); });
  EXPECT_EQ(count.load(), 20);
}

TEST(thread_pool_size_comes_from_cnn_threads) {
  const char* old = std::getenv("CNN_THREADS");
  const std::string saved = old ? old : "";
  const unsigned hc = std::thread::hardware_concurrency();
  const int cores = hc ? int(hc) : 1;
  setenv("CNN_THREADS", "3", 1);
  EXPECT_EQ(ThreadPool::default_threads(), std::min(3, 2 * cores));
  // Not plain digits (the JavaScript loader refuses these with a message): the core count.
  for (const char* bad : {"zero", "", "0", "-3", "1.5", " 3", "+3", "1025"}) {
    setenv("CNN_THREADS", bad, 1);
    EXPECT_EQ(ThreadPool::default_threads(), cores);
  }
  setenv("CNN_THREADS", "1000", 1);  // above the cap: twice the core count, as the loader does
  EXPECT_EQ(ThreadPool::default_threads(), std::min(1000, 2 * cores));
  if (old)
    setenv("CNN_THREADS", saved.c_str(), 1);
  else
    unsetenv("CNN_THREADS");
  EXPECT_THROWS(ThreadPool::set_global_threads(0));
}

// run_pinned: every task once, on its own thread (thread i runs tasks [i*n/size(), (i+1)*n/size()), the
// caller is 0) when nothing delays a
// thread; when one thread is held up, the others run its tasks that have not started; a failure still
// reaches the caller; more than 64 tasks still run once each.
TEST(thread_pool_run_pinned_prefers_each_task_s_thread_and_steals_from_a_slow_one) {
  for (int threads : {2, 3}) {
    ThreadPool pool(threads);
    std::vector<int> hits(12, 0);
    std::vector<std::thread::id> ran(12);
    int on_own_thread = 0;
    for (int round = 0; round < 20; ++round) {
      pool.run_pinned(12, [&](int t) {
        ran[t] = std::this_thread::get_id();
        hits[t] += 1;
      });
      // The caller's tasks 0 .. 12/threads - 1 all ran on the caller unless another thread stole one.
      for (int t = 0; t < 12 / threads; ++t) on_own_thread += ran[t] == std::this_thread::get_id();
    }
    for (int h : hits) EXPECT_EQ(h, 20);
    EXPECT_TRUE(on_own_thread > 0);
    // Task 2 waits (up to 10 s) for task 3, the next task offered to the same thread (thread 1 has
    // tasks 2 and 3 of 2 * threads): it can only run meanwhile (or before) if another thread takes over
    // a busy thread's unstarted task.
    std::atomic<bool> later_ran{false}, ran_without_waiting_out{false};
    pool.run_pinned(2 * threads, [&](int t) {
      if (t == 3) later_ran.store(true);
      if (t != 2) return;
      for (int ms = 0; ms < 10000 && !later_ran.load(); ++ms) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      ran_without_waiting_out.store(later_ran.load());
    });
    EXPECT_TRUE(ran_without_waiting_out.load());
    bool threw = false;
    try {
      pool.run_pinned(6, [&](int t) {
        if (t == 4) throw Error(kErrInvalidArgument, "task 4 failed");
      });
    } catch (const Error&) {
      threw = true;
    }
    EXPECT_TRUE(threw);
    std::vector<std::atomic<int>> many(100);
    pool.run_pinned(100, [&](int t) { many[t].fetch_add(1); });
    for (auto& m : many) EXPECT_EQ(m.load(), 1);
  }
}
