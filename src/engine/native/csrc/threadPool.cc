// ThreadPool implementation (see threadPool.h): generation counter + spin-then-sleep workers.
#include "threadPool.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define DLRM_PAUSE() _mm_pause()
#else
#define DLRM_PAUSE() ((void)0)
#endif

namespace dlrm {

namespace {
// Spin iterations (pause instructions, roughly 20-50 microseconds) before a worker sleeps or a waiting
// caller starts yielding its time slice.
constexpr int kSpinIterations = 4000;
}  // namespace

ThreadPool::ThreadPool(int threads) : threads_(threads < 1 ? 1 : threads) {
  for (int k = 1; k < threads_; ++k) workers_.emplace_back([this, k] { workerLoop(k); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_.store(true);
    generation_.fetch_add(1);
  }
  wake_.notify_all();
  for (auto& w : workers_) w.join();
}

void ThreadPool::run(const std::function<void(int)>& job) {
  if (threads_ == 1) {
    job(0);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job_ = &job;
    pending_.store(threads_ - 1);
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  job(0);
  // spin briefly, then yield: on a busy machine the worker we wait for may be descheduled
  for (int spins = 0; pending_.load(std::memory_order_acquire) != 0; ++spins) {
    if (spins < kSpinIterations) DLRM_PAUSE();
    else std::this_thread::yield();
  }
}

void ThreadPool::workerLoop(int k) {
  unsigned seen = 0;
  for (;;) {
    int spins = 0;
    while (generation_.load(std::memory_order_acquire) == seen && spins < kSpinIterations) {
      DLRM_PAUSE();
      ++spins;
    }
    if (generation_.load(std::memory_order_acquire) == seen) {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return generation_.load() != seen; });
    }
    seen = generation_.load(std::memory_order_acquire);
    if (stop_.load()) return;
    const std::function<void(int)>* job;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job = job_;
    }
    (*job)(k);
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

}  // namespace dlrm
