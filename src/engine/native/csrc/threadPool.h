// A tiny fixed-size thread pool owned by the native engine. parallelFor(units, fn) runs fn(u) for every
// unit u in [0, units) on whichever threads are free: the caller claims units itself, and a worker that
// wakes late (a busy machine) finds nothing left and never delays the caller, so the engine is never slower
// than one thread. Workers spin briefly after a job (a training step dispatches twice in quick succession)
// and then sleep on a condition variable, so an idle engine costs no CPU; after a job marked `last` (nothing
// follows soon, e.g. a prediction) they sleep at once, so the spin does not burn a core a server needs. OpenBLAS is set to one thread: this pool owns the
// parallelism.
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
  /**
   * Runs fn(u) for u in [0, units), each unit exactly once, on the caller and any free workers. `last`: no
   * job follows soon, so the workers sleep when they are done instead of spinning for the next one.
   */
  void parallelFor(int units, const std::function<void(int)>& fn, bool last = false);

 private:
  void workerLoop();
  void claimUnits();

  int threads_;
  std::vector<std::thread> workers_;
  const std::function<void(int)>* job_ = nullptr;
  int units_ = 0;
  std::atomic<int> next_{0};
  std::atomic<int> done_{0};
  // bit 30: the job is closed to new helpers; low bits: workers currently helping
  std::atomic<int> state_{0};
  std::atomic<unsigned> generation_{0};
  std::atomic<bool> stop_{false};
  // false after a job marked last: workers skip the spin before sleeping
  std::atomic<bool> linger_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
};

}  // namespace dlrm
