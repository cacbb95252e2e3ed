// ThreadPool implementation (see threadPool.h): units claimed from an atomic counter; a job is closed
// before parallelFor returns, and only workers that joined while it was open are waited for.
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
constexpr int kClosed = 1 << 30;

template <typename Done>
void spinThenYield(Done done) {
  for (int spins = 0; !done(); ++spins) {
    if (spins < kSpinIterations) DLRM_PAUSE();
    else std::this_thread::yield();
  }
}
}  // namespace

ThreadPool::ThreadPool(int threads) : threads_(threads < 1 ? 1 : threads) {
  state_.store(kClosed);
  for (int k = 1; k < threads_; ++k) workers_.emplace_back([this] { workerLoop(); });
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

void ThreadPool::claimUnits() {
  for (int u = next_.fetch_add(1); u < units_; u = next_.fetch_add(1)) {
    (*job_)(u);
    done_.fetch_add(1);
  }
}

void ThreadPool::parallelFor(int units, const std::function<void(int)>& fn, bool last) {
  if (threads_ == 1 || units <= 1) {
    for (int u = 0; u < units; ++u) fn(u);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job_ = &fn;
    units_ = units;
    next_.store(0);
    done_.store(0);
    linger_.store(!last);
    state_.store(0);  // open: workers may join
    generation_.fetch_add(1);
  }
  wake_.notify_all();
  claimUnits();
  // every unit is claimed; those still running belong to workers that are running now
  spinThenYield([&] { return done_.load() == units; });
  state_.fetch_or(kClosed);
  spinThenYield([&] { return (state_.load() & ~kClosed) == 0; });
}

void ThreadPool::workerLoop() {
  unsigned seen = 0;
  for (;;) {
    int spins = linger_.load() ? 0 : kSpinIterations;
    while (generation_.load() == seen && spins < kSpinIterations) {
      DLRM_PAUSE();
      ++spins;
    }
    if (generation_.load() == seen) {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return generation_.load() != seen; });
    }
    if (stop_.load()) return;
    // join the current job unless it is already closed; a job opened meanwhile is seen on the next loop
    seen = generation_.load();
    int s = state_.load();
    bool joined = false;
    while (!(s & kClosed) && !joined) joined = state_.compare_exchange_weak(s, s + 1);
    if (!joined) continue;
    claimUnits();
    state_.fetch_sub(1);
  }
}

}  // namespace dlrm
