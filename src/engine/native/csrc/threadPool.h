// A tiny fixed-size thread pool owned by the native engine: run(fn) calls fn(k) for k = 0..n-1, k = 0 on
// the calling thread, and returns when every part is done. Workers spin briefly (a training step
// dispatches a few jobs in quick succession) and then sleep on a condition variable, so an idle engine
// costs no CPU. OpenBLAS is set to one thread: this pool owns the parallelism.
#pragma once
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace dlrm {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return threads_; }
  /** Runs job(k) for k in [0, size()) in parallel; part 0 runs on the caller. */
  void run(const std::function<void(int)>& job);

 private:
  void workerLoop(int k);

  int threads_;
  std::vector<std::thread> workers_;
  const std::function<void(int)>* job_ = nullptr;
  std::atomic<unsigned> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
};

}  // namespace dlrm
