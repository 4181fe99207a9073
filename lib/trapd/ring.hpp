#pragma once
// The bounded queue between dce-trapd's receive thread and its decoder: one producer,
// one consumer, a fixed arena of bytes holding datagrams back to back. The receive path
// copies a datagram in and goes back to recvmmsg(); it never waits for the decoder or
// for stdout. When the arena is full, push() says so and the receiver counts the
// datagram as dropped by a full queue, so memory stays bounded under any flood.
//
// Entries are [Entry header][bytes], 8-byte aligned. An entry that does not fit before
// the arena's end leaves a wrap marker there and starts again at offset 0. Positions are
// 64-bit counters that only grow (modulo the capacity for the offset), so full/empty
// need no extra flag.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <span>

#include <sys/socket.h>

namespace dce::trapd {

struct PacketMeta {
    sockaddr_storage from{};
    socklen_t from_len = 0;
    std::uint32_t listener = 0;    ///< index of the socket it arrived on
    std::int64_t received_ns = 0;  ///< CLOCK_REALTIME at receipt
};

class PacketRing {
  public:
    explicit PacketRing(std::size_t capacity)
        : capacity_(align(capacity < 4096 ? 4096 : capacity)),
          arena_(new std::uint8_t[capacity_]) {}

    std::size_t capacity() const { return capacity_; }

    /// Producer: copies one datagram in; false (nothing written) when there is no room.
    bool push(const PacketMeta& meta, std::span<const std::uint8_t> data) {
        const std::size_t need = align(sizeof(Entry) + data.size());
        if (need > capacity_) return false;
        std::uint64_t w = write_.load(std::memory_order_relaxed);
        const std::uint64_t r = read_.load(std::memory_order_acquire);
        std::size_t off = w % capacity_;
        std::size_t skip = 0;
        if (off + need > capacity_) skip = capacity_ - off;  // wrap: the tail is unused
        if ((w - r) + skip + need > capacity_) return false;
        if (skip) {
            // A wrap marker when a header fits in the tail; otherwise the reader knows
            // a tail shorter than a header is always skipped.
            if (skip >= sizeof(Entry)) header_at(off)->size = wrap_marker;
            w += skip;
            off = 0;
        }
        Entry* e = header_at(off);
        e->size = static_cast<std::uint32_t>(data.size());
        e->meta = meta;
        std::memcpy(arena_.get() + off + sizeof(Entry), data.data(), data.size());
        write_.store(w + need, std::memory_order_seq_cst);
        if (sleeping_.load(std::memory_order_seq_cst)) {
            std::lock_guard lock(mutex_);
            cv_.notify_one();
        }
        return true;
    }

    /// Consumer: the oldest datagram, or false when empty. Valid until release().
    bool front(PacketMeta& meta, std::span<const std::uint8_t>& data) {
        for (;;) {
            const std::uint64_t r = read_.load(std::memory_order_relaxed);
            const std::uint64_t w = write_.load(std::memory_order_acquire);
            if (r == w) return false;
            const std::size_t off = r % capacity_;
            const std::size_t tail = capacity_ - off;
            if (tail < sizeof(Entry) || header_at(off)->size == wrap_marker) {
                read_.store(r + tail, std::memory_order_release);
                continue;
            }
            const Entry* e = header_at(off);
            meta = e->meta;
            data = {arena_.get() + off + sizeof(Entry), e->size};
            pending_ = align(sizeof(Entry) + e->size);
            return true;
        }
    }
    /// Consumer: frees the entry front() returned.
    void release() {
        read_.store(read_.load(std::memory_order_relaxed) + pending_, std::memory_order_release);
        pending_ = 0;
    }

    /// Consumer: sleeps until something was pushed, or `timeout`, or wake() was called.
    void wait(std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        sleeping_.store(true, std::memory_order_seq_cst);
        if (write_.load(std::memory_order_seq_cst) == read_.load(std::memory_order_relaxed) &&
            !woken_)
            cv_.wait_for(lock, timeout);
        sleeping_.store(false, std::memory_order_relaxed);
        woken_ = false;
    }
    /// Any thread: ends the consumer's current or next wait().
    void wake() {
        std::lock_guard lock(mutex_);
        woken_ = true;
        cv_.notify_one();
    }

    /// Bytes in use (approximate from another thread).
    std::size_t used() const {
        return static_cast<std::size_t>(write_.load(std::memory_order_relaxed) -
                                        read_.load(std::memory_order_relaxed));
    }

  private:
    struct Entry {
        std::uint32_t size;
        std::uint32_t pad;
        PacketMeta meta;
    };
    static constexpr std::uint32_t wrap_marker = 0xFFFFFFFFu;
    static constexpr std::size_t align(std::size_t n) { return (n + 7) & ~std::size_t{7}; }
    Entry* header_at(std::size_t off) { return reinterpret_cast<Entry*>(arena_.get() + off); }

    const std::size_t capacity_;
    std::unique_ptr<std::uint8_t[]> arena_;
    alignas(64) std::atomic<std::uint64_t> write_{0};
    alignas(64) std::atomic<std::uint64_t> read_{0};
    std::size_t pending_ = 0;
    alignas(64) std::atomic<bool> sleeping_{false};
    std::mutex mutex_;
    std::condition_variable cv_;
    bool woken_ = false;
};

}  // namespace dce::trapd
