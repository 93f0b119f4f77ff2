// ThreadPool: every task runs once, nested runs are inline, task failures reach the caller, and the
// size comes from CNN_THREADS.
#include <algorithm>
#include <atomic>
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

// run_pinned: every task once, task t always on the same thread as task t % size() (the caller runs
// residue 0), the same thread from one call to the next, and a failure still reaches the caller.
TEST(thread_pool_run_pinned_keeps_each_task_on_its_thread) {
  for (int threads : {2, 3}) {
    ThreadPool pool(threads);
    std::vector<std::thread::id> first(12), again(12);
    std::vector<int> hits(12, 0);
    pool.run_pinned(12, [&](int t) {
      first[t] = std::this_thread::get_id();
      hits[t] += 1;
    });
    for (int round = 0; round < 20; ++round)
      pool.run_pinned(12, [&](int t) { again[t] = std::this_thread::get_id(); });
    for (int t = 0; t < 12; ++t) {
      EXPECT_EQ(hits[t], 1);
      EXPECT_TRUE(first[t] == again[t]);
      EXPECT_TRUE(first[t] == first[t % threads]);
      for (int u = 0; u < threads; ++u)
        if (u != t % threads) EXPECT_TRUE(first[t] != first[u]);
    }
    EXPECT_TRUE(first[0] == std::this_thread::get_id());
    bool threw = false;
    try {
      pool.run_pinned(6, [&](int t) {
        if (t == 4) throw Error(kErrInvalidArgument, "task 4 failed");
      });
    } catch (const Error&) {
      threw = true;
    }
    EXPECT_TRUE(threw);
  }
}
