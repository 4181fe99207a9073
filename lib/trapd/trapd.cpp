#include "trapd/trapd.hpp"

#include "core/exit_codes.hpp"
#include "core/jsonl.hpp"
#include "core/metrics.hpp"
#include "core/signals.hpp"
#include "core/time.hpp"
#include "trap/catalogue.hpp"
#include "trap/message.hpp"
#include "trap/usm.hpp"
#include "trapd/event.hpp"
#include "trapd/listeners.hpp"
#include "trapd/ring.hpp"
#include "trapd/security.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <unordered_map>

namespace dce::trapd {

bool parse_size(const std::string& text, std::size_t& out) {
    if (text.empty()) return false;
    std::size_t pos = 0;
    unsigned long long v = 0;
    try {
        v = std::stoull(text, &pos);
    } catch (...) {
        return false;
    }
    std::string unit = text.substr(pos);
    unsigned long long mult = 1;
    if (unit.empty() || unit == "B")
        mult = 1;
    else if (unit == "K" || unit == "KiB" || unit == "k")
        mult = 1ull << 10;
    else if (unit == "M" || unit == "MiB")
        mult = 1ull << 20;
    else if (unit == "G" || unit == "GiB")
        mult = 1ull << 30;
    else
        return false;
    out = static_cast<std::size_t>(v * mult);
    return true;
}

namespace {

using Clock = std::chrono::steady_clock;

/// Wall-clock time in ns: what an event's and a stats record's `ts` are made from.
std::int64_t realtime_ns() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}
constexpr std::size_t batch = 64;
constexpr std::size_t max_datagram = 65536;

// ---- the receive thread -------------------------------------------------------------

struct RecvCounters {
    std::atomic<std::uint64_t> received{0};
    std::atomic<std::uint64_t> dropped_queue{0};
    std::atomic<std::uint64_t> truncated{0};
};

/// Kernel drops of one socket: what the last SO_RXQ_OVFL said, and /proc/net/udp's
/// `drops` column (exact at any moment, also after the last datagram).
std::uint64_t proc_udp_drops(int fd) {
    struct stat st {};
    if (fstat(fd, &st) != 0) return 0;
    for (const char* file : {"/proc/net/udp", "/proc/net/udp6"}) {
        std::ifstream in(file);
        std::string line;
        std::getline(in, line);  // header
        while (std::getline(in, line)) {
            std::istringstream ls(line);
            std::string field;
            std::vector<std::string> f;
            while (ls >> field)
                f.push_back(field);
            // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
            if (f.size() >= 13 && f[9] == std::to_string(st.st_ino)) return std::stoull(f[12]);
        }
    }
    return 0;
}

class Receiver {
  public:
    Receiver(std::vector<Listener>& listeners, PacketRing& ring, RecvCounters& counters)
        : listeners_(listeners),
          ring_(ring),
          counters_(counters),
          ovfl_(listeners.size()),
          buffers_(batch * max_datagram) {
        stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        epoll_ = epoll_create1(EPOLL_CLOEXEC);
        for (std::size_t i = 0; i < listeners_.size(); ++i) {
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.u64 = i;
            epoll_ctl(epoll_, EPOLL_CTL_ADD, listeners_[i].fd, &ev);
        }
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = ~0ull;
        epoll_ctl(epoll_, EPOLL_CTL_ADD, stop_fd_, &ev);
        for (auto& o : ovfl_)
            o.store(0);
    }
    ~Receiver() {
        stop();
        close(stop_fd_);
        close(epoll_);
    }
    void start() {
        thread_ = std::thread([this] { loop(); });
    }
    /// Takes what the sockets hold right now, then ends the thread.
    void stop() {
        if (!thread_.joinable()) return;
        std::uint64_t one = 1;
        [[maybe_unused]] auto n = write(stop_fd_, &one, sizeof one);
        thread_.join();
    }
    std::uint64_t kernel_drops() const {
        std::uint64_t total = 0;
        for (std::size_t i = 0; i < listeners_.size(); ++i)
            total += std::max<std::uint64_t>(ovfl_[i].load(), proc_udp_drops(listeners_[i].fd));
        return total;
    }

  private:
    void loop() {
        std::array<epoll_event, 16> events;
        for (;;) {
            int n = epoll_wait(epoll_, events.data(), events.size(), -1);
            if (n < 0) {
                if (errno == EINTR) continue;
                return;
            }
            for (int k = 0; k < n; ++k) {
                if (events[k].data.u64 == ~0ull) {
                    for (std::size_t i = 0; i < listeners_.size(); ++i)
                        drain(i);
                    return;
                }
                drain(events[k].data.u64);
            }
        }
    }

    void drain(std::size_t index) {
        const int fd = listeners_[index].fd;
        std::array<mmsghdr, batch> msgs{};
        std::array<iovec, batch> iov{};
        std::array<sockaddr_storage, batch> names{};
        constexpr std::size_t cspace = CMSG_SPACE(sizeof(std::uint32_t));
        alignas(cmsghdr) std::array<char, batch * cspace> control{};
        for (;;) {
            for (std::size_t i = 0; i < batch; ++i) {
                iov[i] = {buffers_.data() + i * max_datagram, max_datagram};
                msgs[i].msg_hdr = {};
                msgs[i].msg_hdr.msg_iov = &iov[i];
                msgs[i].msg_hdr.msg_iovlen = 1;
                msgs[i].msg_hdr.msg_name = &names[i];
                msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
                msgs[i].msg_hdr.msg_control = control.data() + i * cspace;
                msgs[i].msg_hdr.msg_controllen = cspace;
            }
            int n = recvmmsg(fd, msgs.data(), batch, MSG_DONTWAIT, nullptr);
            if (n <= 0) return;  // EAGAIN: empty; anything else: try again at the next wakeup
            PacketMeta meta;
            meta.listener = static_cast<std::uint32_t>(index);
            meta.received_ns = realtime_ns();
            std::uint64_t dropped = 0;
            for (int i = 0; i < n; ++i) {
                auto& h = msgs[i].msg_hdr;
                for (cmsghdr* c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c)) {
                    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
                        std::uint32_t v;
                        std::memcpy(&v, CMSG_DATA(c), sizeof v);
                        if (v > ovfl_[index].load(std::memory_order_relaxed))
                            ovfl_[index].store(v, std::memory_order_relaxed);
                    }
                }
                std::size_t len = msgs[i].msg_len;
                if (h.msg_flags & MSG_TRUNC) counters_.truncated.fetch_add(1);
                meta.from = names[i];
                meta.from_len = h.msg_namelen;
                if (!ring_.push(meta, {buffers_.data() + i * max_datagram, len})) ++dropped;
            }
            counters_.received.fetch_add(n, std::memory_order_relaxed);
            if (dropped) counters_.dropped_queue.fetch_add(dropped, std::memory_order_relaxed);
            if (static_cast<std::size_t>(n) < batch) return;
        }
    }

    std::vector<Listener>& listeners_;
    PacketRing& ring_;
    RecvCounters& counters_;
    std::vector<std::atomic<std::uint64_t>> ovfl_;
    std::vector<std::uint8_t> buffers_;
    int stop_fd_ = -1;
    int epoll_ = -1;
    std::thread thread_;
};

// ---- the decoder --------------------------------------------------------------------

const trap::Oid sys_uptime_0 = {1, 3, 6, 1, 2, 1, 1, 3, 0};
const trap::Oid snmp_trap_oid_0 = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0};
// usmStats (RFC 3414): what a Report says went wrong.
const trap::Oid usm_stats = {1, 3, 6, 1, 6, 3, 15, 1, 1};
enum class UsmStat : std::uint32_t {
    unsupported_sec_levels = 1,
    not_in_time_windows = 2,
    unknown_user_names = 3,
    unknown_engine_ids = 4,
    wrong_digests = 5,
    decryption_errors = 6,
};

std::string_view version_name(trap::Version v) {
    switch (v) {
        case trap::Version::v1:
            return "v1";
        case trap::Version::v2c:
            return "v2c";
        case trap::Version::v3:
            return "v3";
    }
    return "?";
}

std::string_view level_name(std::uint8_t flags) {
    if (flags & trap::flag_priv) return "authPriv";
    if (flags & trap::flag_auth) return "authNoPriv";
    return "noAuthNoPriv";
}

struct Stats {
    std::uint64_t decoded = 0, delivered = 0, malformed = 0, rate_limited = 0, deduplicated = 0;
    std::uint64_t informs_acknowledged = 0, reports_sent = 0, handshakes = 0;
    std::uint64_t folded_events = 0;  ///< the "count" events dedup writes (not deliveries)
    std::array<std::uint64_t, static_cast<std::size_t>(Reject::count_)> rejected{};
    std::array<std::uint64_t, 7> usm_stats{};  // what our Reports count, by UsmStat
    std::uint64_t rejected_total() const {
        std::uint64_t n = 0;
        for (auto v : rejected)
            n += v;
        return n;
    }
};

class Decoder {
  public:
    Decoder(ToolContext& ctx, const TrapdOptions& o, std::vector<Listener>& listeners,
            RecvCounters& recv, LocalEngine engine)
        : ctx_(ctx), o_(o), listeners_(listeners), recv_(recv), engine_(std::move(engine)) {
        out_.reserve(1 << 20);
    }

    /// Loads credentials and the catalogue; on reload, a failure keeps the old ones.
    bool load(bool reload, std::string& error);
    void process(const PacketMeta& meta, std::span<const std::uint8_t> packet);
    /// Writes buffered events; at most every few ms under load, at once when idle.
    void flush() {
        if (out_.empty()) return;
        write_all(ctx_.output_fd(), out_);
        out_.clear();
    }
    bool want_flush() const { return out_.size() >= (256u << 10); }
    void write_stats(std::uint64_t kernel_drops, std::size_t queue_used, std::size_t queue_cap,
                     bool final);
    void expire(Clock::time_point now, bool all);
    Clock::time_point next_deadline(Clock::time_point now) const;
    std::string summary(std::uint64_t kernel_drops) const;
    /// The counters of write_stats() as a --metrics-file exposition.
    std::string metrics_text(std::uint64_t kernel_drops, std::size_t queue_used,
                             std::size_t queue_cap) const;
    const Stats& stats() const { return stats_; }
    /// Catalogue files and credential entries skipped with a warning, over all loads.
    std::size_t skipped_input() const { return skipped_input_; }

  private:
    struct Source {
        std::string host;
        int port = 0;
    };
    void reject(Reject why, const Source& src, const trap::Message& m);
    void deliver(const PacketMeta& meta, const Source& src, const trap::Message& m,
                 const std::string* credential);
    void send(const PacketMeta& meta, const std::string& bytes);
    void respond_v2c(const PacketMeta& meta, const trap::Message& m);
    void respond_v3(const PacketMeta& meta, const trap::Message& m, const V3User& u,
                    bool authoritative);
    void report_v3(const PacketMeta& meta, const trap::Message& m, UsmStat stat,
                   const V3User* signer);
    void process_v3(const PacketMeta& meta, const Source& src,
                    std::span<const std::uint8_t> packet);
    bool rate_ok(const std::string& host, Clock::time_point now);
    void begin_record(JsonOut& j, std::string_view type, std::int64_t received_ns);

    ToolContext& ctx_;
    const TrapdOptions& o_;
    std::vector<Listener>& listeners_;
    RecvCounters& recv_;
    LocalEngine engine_;
    Security security_;
    trap::Catalogue catalogue_;
    Stats stats_;
    std::size_t skipped_input_ = 0;
    std::string out_;
    trap::Message m_;  // reused: its vectors keep their capacity between packets
    std::string plain_;
    std::uint64_t salt_ = 0;
    Clock::time_point started_ = Clock::now();

    struct Bucket {
        double tokens = 0;
        Clock::time_point last;
    };
    std::unordered_map<std::string, Bucket> buckets_;
    struct Folded {
        Clock::time_point until;
        std::string event;  // the first event, without its closing brace
        std::uint64_t repeats = 0;
    };
    std::unordered_map<std::string, Folded> folded_;
    /// The first event of a dedup window again, with how many repeats were folded.
    void emit_folded(const Folded& f) {
        out_ += f.event;
        out_ += ",\"count\":" + std::to_string(f.repeats) + ",\"folded\":true}\n";
        ++stats_.folded_events;
    }
    struct Reported {
        Clock::time_point next;
        std::uint64_t suppressed = 0;
        std::string version, user, engine;
    };
    std::map<std::pair<std::string, Reject>, Reported> reported_;
};

bool Decoder::load(bool reload, std::string& error) {
    // Credentials: the ToolContext loads the file once; a reload reads it again.
    CredentialStore fresh;
    const CredentialStore* store = nullptr;
    if (!reload) {
        store = ctx_.credentials(error);
        if (!store) return false;
    } else {
        if (!ctx_.credentials_path().empty() && !fresh.load_file(ctx_.credentials_path(), error))
            return false;
        fresh.load_environment();
        store = &fresh;
    }
    std::vector<std::string> problems;
    Security sec;
    sec.load(*store, problems);
    sec.set_allowed_engines(o_.allow_engine_ids);
    for (const auto& p : problems)
        ctx_.log().warn("{}", p);

    trap::Catalogue cat;
    std::vector<std::string> cat_errors;
    for (const auto& dir : trap::default_catalogue_dirs(o_.catalogue_dirs))
        cat.load_dir(dir, cat_errors);
    for (const auto& e : cat_errors)
        ctx_.log().warn("trap catalogue: {}", e);
    // Like a skipped input line in every tool: the run goes on (traps keep arriving)
    // and the exit status says something was skipped.
    skipped_input_ += problems.size() + cat_errors.size();
    if (sec.community_count() == 0 && sec.user_count() == 0 && !o_.any_community)
        ctx_.log().warn(
            "no community or snmpv3 entry in the credentials: every trap will be "
            "rejected (add entries, or --any-community for v1/v2c)");
    security_ = std::move(sec);
    catalogue_ = std::move(cat);
    ctx_.log().info("{}: {} communities, {} SNMPv3 users, {} traps and {} objects in the catalogue",
                    reload ? "reloaded" : "loaded", security_.community_count(),
                    security_.user_count(), catalogue_.trap_count(), catalogue_.object_count());
    return true;
}

void Decoder::begin_record(JsonOut& j, std::string_view type, std::int64_t received_ns) {
    using namespace std::chrono;
    j.open();
    j.key("type").str(type);
    j.key("ts").str(format_timestamp(
        SystemTime(duration_cast<SystemTime::duration>(nanoseconds(received_ns)))));
    if (!o_.site.empty()) j.key("site").str(o_.site);
}

void Decoder::send(const PacketMeta& meta, const std::string& bytes) {
    sendto(listeners_[meta.listener].fd, bytes.data(), bytes.size(), MSG_DONTWAIT,
           reinterpret_cast<const sockaddr*>(&meta.from), meta.from_len);
}

void Decoder::respond_v2c(const PacketMeta& meta, const trap::Message& m) {
    trap::Message r;
    r.version = m.version;
    r.community = m.community;
    r.has_pdu = true;
    r.pdu.type = trap::PduType::response;
    r.pdu.request_id = m.pdu.request_id;
    r.pdu.varbinds = m.pdu.varbinds;
    send(meta, trap::encode_message(r));
    ++stats_.informs_acknowledged;
}

void Decoder::respond_v3(const PacketMeta& meta, const trap::Message& m, const V3User& u,
                         bool authoritative) {
    trap::Message r;
    r.version = trap::Version::v3;
    r.msg_id = m.msg_id;
    r.flags = m.flags & (trap::flag_auth | trap::flag_priv);
    r.usm.engine_id = m.usm.engine_id;
    r.usm.boots = authoritative ? engine_.boots : m.usm.boots;
    r.usm.time = authoritative ? engine_.time() : m.usm.time;
    r.usm.user = m.usm.user;
    r.context_engine_id = m.context_engine_id;
    r.context_name = m.context_name;
    r.has_pdu = true;
    r.pdu.type = trap::PduType::response;
    r.pdu.request_id = m.pdu.request_id;
    r.pdu.varbinds = m.pdu.varbinds;
    const LocalizedKeys& k = security_.keys(u, m.usm.engine_id);
    if (r.flags & trap::flag_auth) r.usm.auth_params.assign(trap::auth_params_length(u.auth), '\0');
    std::size_t off = 0;
    std::string bytes;
    if (r.flags & trap::flag_priv) {
        std::string ct, pp;
        if (!trap::encrypt(u.priv, k.priv.view(), r.usm.boots, r.usm.time, ++salt_,
                           trap::encode_scoped_pdu(r), ct, pp))
            return;
        r.usm.priv_params = pp;
        bytes = trap::encode_message_encrypted(r, ct, &off);
    } else {
        bytes = trap::encode_message(r, &off);
    }
    if (r.flags & trap::flag_auth)
        trap::sign(u.auth, k.auth.view(),
                   {reinterpret_cast<std::uint8_t*>(bytes.data()), bytes.size()}, off);
    send(meta, bytes);
    ++stats_.informs_acknowledged;
}

void Decoder::report_v3(const PacketMeta& meta, const trap::Message& m, UsmStat stat,
                        const V3User* signer) {
    // RFC 3412 7.1.3b: only for a message that asked for one (reportable: informs,
    // discovery probes), never for a trap.
    if (!(m.flags & trap::flag_reportable)) return;
    auto& count = stats_.usm_stats[static_cast<std::size_t>(stat)];
    ++count;
    trap::Message r;
    r.version = trap::Version::v3;
    r.msg_id = m.msg_id;
    r.flags = signer ? trap::flag_auth : 0;
    r.usm.engine_id = engine_.id;
    r.usm.boots = engine_.boots;
    r.usm.time = engine_.time();
    r.usm.user = m.usm.user;
    r.context_engine_id = engine_.id;
    r.has_pdu = true;
    r.pdu.type = trap::PduType::report;
    r.pdu.request_id = m.has_pdu ? m.pdu.request_id : 0;
    trap::VarBind vb;
    vb.oid = usm_stats;
    vb.oid.push_back(static_cast<std::uint32_t>(stat));
    vb.oid.push_back(0);
    vb.value.type = trap::ValueType::counter32;
    vb.value.u = count & 0xffffffffu;
    r.pdu.varbinds.push_back(std::move(vb));
    std::size_t off = 0;
    if (signer) r.usm.auth_params.assign(trap::auth_params_length(signer->auth), '\0');
    std::string bytes = trap::encode_message(r, &off);
    if (signer) {
        const LocalizedKeys& k = security_.keys(*signer, engine_.id);
        trap::sign(signer->auth, k.auth.view(),
                   {reinterpret_cast<std::uint8_t*>(bytes.data()), bytes.size()}, off);
    }
    send(meta, bytes);
    ++stats_.reports_sent;
}

void Decoder::reject(Reject why, const Source& src, const trap::Message& m) {
    ++stats_.rejected[static_cast<std::size_t>(why)];
    if (!o_.report_rejected) return;
    auto now = Clock::now();
    auto& r = reported_[{src.host, why}];
    if (now < r.next) {
        ++r.suppressed;
        return;
    }
    std::uint64_t count = r.suppressed + 1;
    r.suppressed = 0;
    r.next = now + std::chrono::milliseconds(o_.report_interval_ms);
    JsonOut j(out_);
    begin_record(j, "event", realtime_ns());
    j.key("source").str(src.host);
    j.key("source_port").num(src.port);
    j.key("transport").str("snmp");
    j.key("name").str("dce-trapd.rejected");
    j.key("severity").str("warn");
    std::string what = "rejected " + std::to_string(count) + " SNMP" +
                       std::string(version_name(m.version)) + " message" + (count == 1 ? "" : "s") +
                       " from " + src.host + ": " + std::string(to_string(why));
    if (m.version == trap::Version::v3 && !m.usm.user.empty())
        what += " (user " + octets_to_display(m.usm.user) + ")";
    j.key("description").str(what);
    j.key("rejected").open();
    j.key("cause").str(to_string(why));
    j.key("count").unum(count);
    j.close();
    j.key("snmp").open();
    j.key("version").str(version_name(m.version));
    if (m.version == trap::Version::v3) {
        // The user and engine ID are names, not secrets; a community is a secret and
        // is never echoed, even a wrong one (it may be a typo of a real one).
        j.key("user").str(octets_to_display(m.usm.user));
        if (!m.usm.engine_id.empty()) j.key("engine_id").str(engine_hex(m.usm.engine_id));
        j.key("security_level").str(level_name(m.flags));
    }
    j.close();
    j.close();
    out_ += '\n';
}

bool Decoder::rate_ok(const std::string& host, Clock::time_point now) {
    if (o_.rate_limit <= 0) return true;
    auto [it, fresh] = buckets_.try_emplace(host);
    Bucket& b = it->second;
    const double burst = std::max(1.0, o_.rate_limit);
    if (fresh) {
        b.tokens = burst;
        b.last = now;
    } else {
        b.tokens = std::min(
            burst, b.tokens + std::chrono::duration<double>(now - b.last).count() * o_.rate_limit);
        b.last = now;
    }
    if (b.tokens < 1.0) return false;
    b.tokens -= 1.0;
    return true;
}

void Decoder::process(const PacketMeta& meta, std::span<const std::uint8_t> packet) {
    Source src;
    format_address(meta.from, meta.from_len, &src.host, &src.port);
    std::string error;
    if (!trap::decode_message(packet, m_, error)) {
        ++stats_.malformed;
        ctx_.log().debug("{}:{}: malformed: {}", src.host, src.port, error);
        return;
    }
    ++stats_.decoded;
    if (m_.version == trap::Version::v3) {
        process_v3(meta, src, packet);
        return;
    }
    const std::string* credential = security_.community(m_.community);
    if (!credential && !o_.any_community) {
        reject(Reject::unknown_community, src, m_);
        return;
    }
    const auto t = m_.pdu.type;
    const bool ok = m_.version == trap::Version::v1
                        ? t == trap::PduType::trap_v1
                        : (t == trap::PduType::trap_v2 || t == trap::PduType::inform);
    if (!ok) {
        reject(Reject::not_a_notification, src, m_);
        return;
    }
    // The sender retransmits an inform we do not answer: acknowledge even when flood
    // control folds or limits the event, so it stops sending.
    if (t == trap::PduType::inform) respond_v2c(meta, m_);
    deliver(meta, src, m_, credential);
}

void Decoder::process_v3(const PacketMeta& meta, const Source& src,
                         std::span<const std::uint8_t> packet) {
    trap::Message& m = m_;
    if (m.security_model != 3) {
        reject(Reject::unsupported_security_model, src, m);
        return;
    }
    const bool auth = m.flags & trap::flag_auth;
    const bool priv = m.flags & trap::flag_priv;
    if (priv && !auth) {  // RFC 3412 7.2.5: an invalid msgFlags is a malformed message
        --stats_.decoded;
        ++stats_.malformed;
        return;
    }
    if (m.usm.engine_id.empty()) {
        // Engine ID discovery (RFC 3414 4): a sender about to send an inform asks ours.
        ++stats_.handshakes;
        report_v3(meta, m, UsmStat::unknown_engine_ids, nullptr);
        return;
    }
    const bool authoritative = m.usm.engine_id == engine_.id;
    const auto* candidates = security_.users(m.usm.user);
    if (!candidates) {
        reject(Reject::unknown_user, src, m);
        if (authoritative) report_v3(meta, m, UsmStat::unknown_user_names, nullptr);
        return;
    }
    if (!authoritative && !security_.engine_allowed(m.usm.engine_id)) {
        reject(Reject::engine_id_not_allowed, src, m);
        return;
    }
    // The level must be the one the entry is configured for: an authPriv user's traps
    // sent in clear are refused, not accepted at a lower level.
    const V3User* user = nullptr;
    bool level_matched = false;
    for (const auto& u : *candidates) {
        if ((u.auth != trap::AuthProto::none) != auth || (u.priv != trap::PrivProto::none) != priv)
            continue;
        level_matched = true;
        if (!auth) {
            user = &u;
            break;
        }
        const LocalizedKeys& k = security_.keys(u, m.usm.engine_id);
        if (m.usm.auth_params.size() == trap::auth_params_length(u.auth) &&
            trap::verify_digest(u.auth, k.auth.view(), packet, m.usm.auth_params_offset)) {
            user = &u;
            break;
        }
    }
    if (!level_matched) {
        reject(Reject::unsupported_security_level, src, m);
        if (authoritative) report_v3(meta, m, UsmStat::unsupported_sec_levels, nullptr);
        return;
    }
    if (!user) {
        reject(Reject::wrong_digest, src, m);
        if (authoritative) report_v3(meta, m, UsmStat::wrong_digests, nullptr);
        return;
    }
    if (auth) {
        const auto now = Clock::now();
        bool timely;
        if (authoritative) {
            const std::int64_t ours = engine_.time();
            timely = m.usm.boots == engine_.boots &&
                     std::llabs(static_cast<std::int64_t>(m.usm.time) - ours) <= 150;
        } else {
            timely = security_.timely_remote(m.usm.engine_id, m.usm.boots, m.usm.time, now);
        }
        if (!timely && authoritative && (m.flags & trap::flag_reportable)) {
            // A sender's first inform after discovery carries no valid time yet: this
            // authenticated Report gives it our boots and time (RFC 3414 4), the second
            // half of the handshake, not an attack.
            ++stats_.handshakes;
            report_v3(meta, m, UsmStat::not_in_time_windows, user);
            return;
        }
        if (!timely) {
            reject(Reject::not_in_time_window, src, m);
            return;
        }
    }
    if (priv) {
        const LocalizedKeys& k = security_.keys(*user, m.usm.engine_id);
        std::string err;
        if (!trap::decrypt(user->priv, k.priv.view(), m.usm.boots, m.usm.time, m.usm.priv_params,
                           m.encrypted, plain_) ||
            !trap::decode_scoped_pdu(
                {reinterpret_cast<const std::uint8_t*>(plain_.data()), plain_.size()}, m, err)) {
            reject(Reject::decryption_error, src, m);
            if (authoritative) report_v3(meta, m, UsmStat::decryption_errors, nullptr);
            return;
        }
    }
    const auto t = m.pdu.type;
    if (t != trap::PduType::trap_v2 && t != trap::PduType::inform) {
        reject(Reject::not_a_notification, src, m);
        return;
    }
    if (authoritative && !security_.engine_allowed(m.context_engine_id)) {
        // An inform names its sender in contextEngineID (its own snmpEngineID).
        reject(Reject::engine_id_not_allowed, src, m);
        return;
    }
    if (t == trap::PduType::inform) respond_v3(meta, m, *user, authoritative);
    deliver(meta, src, m, &user->credential);
}

void Decoder::deliver(const PacketMeta& meta, const Source& src, const trap::Message& m,
                      const std::string* credential) {
    const auto now = Clock::now();
    if (!rate_ok(src.host, now)) {
        ++stats_.rate_limited;
        return;
    }
    const trap::Pdu& pdu = m.pdu;
    // The notification's OID and uptime: the v1 Trap-PDU's fields mapped to their v2
    // form (RFC 3584 3.1), or the first two varbinds of a v2 trap/inform.
    trap::Oid trap_oid;
    bool have_uptime = false;
    std::uint64_t uptime = 0;
    std::size_t first = 0;
    if (pdu.type == trap::PduType::trap_v1) {
        trap_oid = trap::v1_trap_oid(pdu.enterprise, pdu.generic_trap, pdu.specific_trap);
        uptime = pdu.time_stamp;
        have_uptime = true;
    } else {
        if (first < pdu.varbinds.size() && pdu.varbinds[first].oid == sys_uptime_0) {
            uptime = pdu.varbinds[first].value.u;
            have_uptime = pdu.varbinds[first].value.type == trap::ValueType::timeticks;
            ++first;
        }
        if (first < pdu.varbinds.size() && pdu.varbinds[first].oid == snmp_trap_oid_0 &&
            pdu.varbinds[first].value.type == trap::ValueType::object_id) {
            trap_oid = pdu.varbinds[first].value.oid;
            ++first;
        }
    }
    const trap::TrapInfo* info = trap_oid.empty() ? nullptr : catalogue_.find(trap_oid);
    const std::size_t start = out_.size();
    JsonOut j(out_);
    begin_record(j, "event", meta.received_ns);
    j.key("source").str(src.host);
    j.key("source_port").num(src.port);
    j.key("transport").str("snmp");
    j.key("listen").str(listeners_[meta.listener].local);
    j.key("snmp").open();
    j.key("version").str(version_name(m.version));
    j.key("pdu").str(pdu.type == trap::PduType::inform ? "inform" : "trap");
    if (credential) j.key("credential").str(*credential);
    if (m.version == trap::Version::v3) {
        j.key("user").str(octets_to_display(m.usm.user));
        const std::string& sender = m.usm.engine_id == engine_.id && !m.context_engine_id.empty()
                                        ? m.context_engine_id
                                        : m.usm.engine_id;
        j.key("engine_id").str(engine_hex(sender));
        j.key("security_level").str(level_name(m.flags));
        if (!m.context_name.empty()) j.key("context").str(octets_to_display(m.context_name));
    }
    if (pdu.type == trap::PduType::trap_v1) {
        j.key("enterprise").str(trap::oid_to_string(pdu.enterprise));
        trap::Value addr;
        addr.type = trap::ValueType::ip_address;
        addr.bytes = pdu.agent_addr;
        j.key("agent_addr").str(value_text(addr));
        j.key("generic_trap").num(pdu.generic_trap);
        j.key("specific_trap").num(pdu.specific_trap);
    }
    j.close();
    if (m.version != trap::Version::v3) j.key("insecure").boolean(true);
    if (!trap_oid.empty()) j.key("trap_oid").str(trap::oid_to_string(trap_oid));
    j.key("resolved").boolean(info != nullptr);
    if (info) {
        j.key("name").str(info->name);
        j.key("mib").str(info->mib);
        j.key("severity").str(info->severity);
        std::vector<std::string> args;
        if (!info->arguments.empty())
            for (std::size_t i = first; i < pdu.varbinds.size(); ++i)
                args.push_back(value_text(pdu.varbinds[i].value));
        j.key("description").str(trap::Catalogue::describe(*info, args));
    } else {
        j.key("severity").str("unknown");
    }
    if (have_uptime) j.key("uptime").dbl(static_cast<double>(uptime) / 100.0);
    j.key("varbinds").open_array();
    for (std::size_t i = first; i < pdu.varbinds.size(); ++i)
        write_varbind(j, pdu.varbinds[i], catalogue_);
    j.close_array();

    if (o_.dedup_ms > 0) {
        // Identical = same source, notification and varbind values; the uptime and the
        // receive time differ between repeats and are not part of the key.
        std::string key = src.host;
        key += '\0';
        key += trap::oid_to_string(trap_oid);
        key.append(out_, out_.find("\"varbinds\":", start), std::string::npos);
        auto it = folded_.find(key);
        if (it != folded_.end() && now < it->second.until) {
            ++it->second.repeats;
            ++stats_.deduplicated;
            out_.resize(start);
            return;
        }
        std::string body = out_.substr(start);
        if (it != folded_.end() && it->second.repeats) {
            // Its window closed: say how many were folded before this new one.
            out_.resize(start);
            emit_folded(it->second);
            out_ += body;
        }
        folded_[key] = {now + std::chrono::milliseconds(o_.dedup_ms), std::move(body), 0};
    }
    j.close();
    out_ += '\n';
    ++stats_.delivered;
}

void Decoder::expire(Clock::time_point now, bool all) {
    for (auto it = folded_.begin(); it != folded_.end();) {
        if (all || now >= it->second.until) {
            if (it->second.repeats) emit_folded(it->second);
            it = folded_.erase(it);
        } else {
            ++it;
        }
    }
    // Keep the flood-control maps from growing without bound under spoofed sources.
    if (buckets_.size() > 100'000) buckets_.clear();
    if (reported_.size() > 100'000) reported_.clear();
}

Clock::time_point Decoder::next_deadline(Clock::time_point now) const {
    auto next = now + std::chrono::seconds(1);
    for (const auto& [_, f] : folded_)
        next = std::min(next, f.until);
    return next;
}

void Decoder::write_stats(std::uint64_t kernel_drops, std::size_t queue_used, std::size_t queue_cap,
                          bool final) {
    JsonOut j(out_);
    begin_record(j, "stats", realtime_ns());
    j.key("tool").str("dce-trapd");
    j.key("final").boolean(final);
    j.key("uptime").dbl(std::chrono::duration<double>(Clock::now() - started_).count());
    j.key("received").unum(recv_.received.load());
    j.key("decoded").unum(stats_.decoded);
    j.key("delivered").unum(stats_.delivered);
    j.key("malformed").unum(stats_.malformed);
    j.key("rejected").open();
    for (std::size_t i = 0; i < stats_.rejected.size(); ++i)
        j.key(to_string(static_cast<Reject>(i))).unum(stats_.rejected[i]);
    j.close();
    j.key("rejected_total").unum(stats_.rejected_total());
    j.key("rate_limited").unum(stats_.rate_limited);
    j.key("deduplicated").unum(stats_.deduplicated);
    j.key("folded_events").unum(stats_.folded_events);
    j.key("dropped_queue").unum(recv_.dropped_queue.load());
    j.key("dropped_kernel").unum(kernel_drops);
    j.key("truncated").unum(recv_.truncated.load());
    j.key("informs_acknowledged").unum(stats_.informs_acknowledged);
    j.key("reports_sent").unum(stats_.reports_sent);
    j.key("handshakes").unum(stats_.handshakes);
    j.key("queue_used").unum(queue_used);
    j.key("queue_bytes").unum(queue_cap);
    j.key("engine_id").str(engine_hex(engine_.id));
    j.key("engine_boots").unum(engine_.boots);
    j.close();
    out_ += '\n';
}

std::string Decoder::metrics_text(std::uint64_t kernel_drops, std::size_t queue_used,
                                  std::size_t queue_cap) const {
    metrics::Exposition m;
    m.counter("dce_trapd_received_total", "Datagrams received on the listening sockets.",
              recv_.received.load());
    m.counter("dce_trapd_delivered_total", "Event records written.", stats_.delivered);
    m.counter("dce_trapd_dropped_total",
              "Datagrams dropped: the decode queue was full (queue) or the kernel's receive "
              "buffer was (kernel).",
              recv_.dropped_queue.load(), {{"where", "queue"}});
    m.counter("dce_trapd_dropped_total", "", kernel_drops, {{"where", "kernel"}});
    for (std::size_t i = 0; i < stats_.rejected.size(); ++i)
        m.counter("dce_trapd_rejected_total",
                  "Notifications refused, by cause (community, user, digest, time window, ...).",
                  stats_.rejected[i], {{"cause", std::string(to_string(static_cast<Reject>(i)))}});
    m.counter("dce_trapd_malformed_total", "Datagrams that are not SNMP messages.",
              stats_.malformed);
    m.counter("dce_trapd_rate_limited_total", "Events held back by --rate-limit.",
              stats_.rate_limited);
    m.counter("dce_trapd_deduplicated_total", "Traps folded by --dedup.", stats_.deduplicated);
    m.counter("dce_trapd_informs_acknowledged_total", "Informs answered.",
              stats_.informs_acknowledged);
    m.gauge("dce_trapd_queue_used_bytes", "Bytes waiting in the decode queue.",
            static_cast<double>(queue_used));
    m.gauge("dce_trapd_queue_size_bytes", "Size of the decode queue (--queue).",
            static_cast<double>(queue_cap));
    m.gauge("dce_trapd_uptime_seconds", "Seconds since dce-trapd started.",
            std::chrono::duration<double>(Clock::now() - started_).count());
    return m.text();
}

std::string Decoder::summary(std::uint64_t kernel_drops) const {
    std::string s = "received " + std::to_string(recv_.received.load()) + ", delivered " +
                    std::to_string(stats_.delivered) + ", rejected " +
                    std::to_string(stats_.rejected_total());
    std::string causes;
    for (std::size_t i = 0; i < stats_.rejected.size(); ++i)
        if (stats_.rejected[i])
            causes += (causes.empty() ? "" : ", ") +
                      std::string(to_string(static_cast<Reject>(i))) + " " +
                      std::to_string(stats_.rejected[i]);
    if (!causes.empty()) s += " (" + causes + ")";
    s += ", malformed " + std::to_string(stats_.malformed);
    if (stats_.rate_limited) s += ", rate-limited " + std::to_string(stats_.rate_limited);
    if (stats_.deduplicated) s += ", folded " + std::to_string(stats_.deduplicated);
    s += ", dropped " + std::to_string(recv_.dropped_queue.load() + kernel_drops) + " (queue " +
         std::to_string(recv_.dropped_queue.load()) + ", kernel " + std::to_string(kernel_drops) +
         ")";
    return s;
}

}  // namespace

int run_trapd(ToolContext& ctx, const TrapdOptions& o) {
    std::string warning;
    LocalEngine engine = load_local_engine(o.state_dir.empty() ? default_state_dir() : o.state_dir,
                                           o.engine_id, warning);
    if (!warning.empty()) ctx.log().warn("{}", warning);

    std::string error;
    std::vector<Listener> listeners = activated_listeners(error);
    if (!error.empty()) ctx.log().warn("{}", error);
    if (listeners.empty()) {
        std::vector<std::string> addrs = o.listen;
        if (addrs.empty()) addrs = {"0.0.0.0:162", "[::]:162"};
        try {
            listeners = bind_listeners(addrs);
        } catch (const std::exception& e) {
            ctx.log().error("{}", e.what());
            return exit_runtime;
        }
    } else if (!o.listen.empty()) {
        ctx.log().warn("socket activation passed {} sockets; --listen is ignored",
                       listeners.size());
    }
    for (auto& l : listeners) {
        l.rcvbuf = tune_socket(l.fd, o.rcvbuf);
        if (l.rcvbuf + 4096 < o.rcvbuf)
            ctx.log().warn(
                "{}: the kernel granted a {} KiB receive buffer of the {} KiB asked "
                "(net.core.rmem_max caps it; raise it, or run with CAP_NET_ADMIN): "
                "a burst may overflow it, which the stats count as dropped_kernel",
                l.local, l.rcvbuf >> 10, o.rcvbuf >> 10);
    }

    RecvCounters recv;
    Decoder decoder(ctx, o, listeners, recv, engine);
    if (!decoder.load(false, error)) {
        ctx.log().error("{}", error);
        return exit_usage;
    }
    std::string where;
    for (const auto& l : listeners)
        where += (where.empty() ? "" : ", ") + l.local;
    ctx.log().info("listening on {} (engine ID {}, boots {})", where, engine_hex(engine.id),
                   engine.boots);
    install_reload_handler();

    PacketRing ring(o.queue_bytes);
    Receiver receiver(listeners, ring, recv);
    receiver.start();

    // --metrics-file: at start, with every stats record and at exit; a failing write is
    // logged once and receiving goes on.
    bool metrics_error_logged = false;
    auto write_metrics = [&] {
        if (o.metrics_file.empty()) return;
        std::string err;
        if (!metrics::write_metrics_file(
                o.metrics_file,
                decoder.metrics_text(receiver.kernel_drops(), ring.used(), ring.capacity()), err) &&
            !metrics_error_logged) {
            ctx.log().error("{}", err);
            metrics_error_logged = true;
        }
    };
    write_metrics();
    auto next_stats = Clock::now() + std::chrono::milliseconds(o.stats_interval_ms);
    bool done = false;
    int status = exit_ok;
    try {
        while (!done) {
            if (ctx.stop_requested() || interrupted()) {
                // Drain: what the sockets hold now, then everything queued.
                receiver.stop();
                PacketMeta meta;
                std::span<const std::uint8_t> data;
                while (ring.front(meta, data)) {
                    decoder.process(meta, data);
                    ring.release();
                    if (decoder.want_flush()) decoder.flush();
                }
                status = exit_interrupted;
                break;
            }
            if (take_reload_request()) {
                std::string err;
                if (!decoder.load(true, err))
                    ctx.log().error("reload failed, keeping the previous configuration: {}", err);
            }
            PacketMeta meta;
            std::span<const std::uint8_t> data;
            std::size_t n = 0;
            while (n < 4096 && ring.front(meta, data)) {
                decoder.process(meta, data);
                ring.release();
                ++n;
                if (decoder.want_flush()) decoder.flush();
                if (o.count && decoder.stats().delivered >= o.count) {
                    done = true;
                    break;
                }
            }
            auto now = Clock::now();
            decoder.expire(now, false);
            if (o.stats_interval_ms > 0 && now >= next_stats) {
                decoder.write_stats(receiver.kernel_drops(), ring.used(), ring.capacity(), false);
                write_metrics();
                next_stats = now + std::chrono::milliseconds(o.stats_interval_ms);
            }
            if (n == 0) {
                decoder.flush();
                auto deadline = decoder.next_deadline(now);
                if (o.stats_interval_ms > 0) deadline = std::min(deadline, next_stats);
                auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
                ring.wait(
                    std::clamp(wait, std::chrono::milliseconds(1), std::chrono::milliseconds(200)));
            }
        }
        receiver.stop();
        decoder.expire(Clock::now(), true);
        const std::uint64_t kdrops = receiver.kernel_drops();
        decoder.write_stats(kdrops, ring.used(), ring.capacity(), true);
        decoder.flush();
        write_metrics();
        ctx.log().info("{}", decoder.summary(kdrops));
    } catch (...) {
        receiver.stop();
        throw;
    }
    for (auto& l : listeners)
        close(l.fd);
    if (status == exit_ok && decoder.skipped_input() > 0) {
        ctx.log().warn("{} catalogue files or credential entries were skipped (see above)",
                       decoder.skipped_input());
        status = exit_runtime;
    }
    return status;
}

}  // namespace dce::trapd
