#include "discover/workers.hpp"

#include "core/signals.hpp"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

namespace dce::discover {

std::uint64_t for_each_target(TargetList& targets, std::size_t threads,
                              const std::function<std::vector<Json>(const Target&)>& probe,
                              RecordWriter& out) {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::vector<Json>> ready;
    bool stop = false;
    std::size_t running = 0;
    std::uint64_t probed = 0;
    auto worker = [&] {
        for (;;) {
            Target t;
            {
                std::lock_guard lock(mu);
                if (stop || interrupted() || !targets.next(t)) break;
                ++probed;
            }
            auto records = probe(t);
            std::lock_guard lock(mu);
            ready.push_back(std::move(records));
            cv.notify_one();
        }
        std::lock_guard lock(mu);
        --running;
        cv.notify_one();
    };
    std::vector<std::thread> pool;
    const std::size_t n = std::max<std::size_t>(threads, 1);
    {
        std::lock_guard lock(mu);
        running = n;  // before any worker can leave and count itself out
    }
    for (std::size_t i = 0; i < n; ++i)
        pool.emplace_back(worker);
    std::exception_ptr failed;
    {
        std::unique_lock lock(mu);
        for (;;) {
            cv.wait_for(lock, std::chrono::milliseconds(100),
                        [&] { return !ready.empty() || running == 0; });
            while (!ready.empty()) {
                auto batch = std::move(ready.front());
                ready.pop_front();
                lock.unlock();
                try {
                    for (const auto& r : batch)
                        if (!failed) out.write(r);
                } catch (...) {
                    failed = std::current_exception();
                }
                lock.lock();
                if (failed) stop = true;
            }
            if (running == 0) break;
        }
    }
    for (auto& t : pool)
        t.join();
    if (failed) std::rethrow_exception(failed);
    return probed;
}

}  // namespace dce::discover
