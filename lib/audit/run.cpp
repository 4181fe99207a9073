#include "audit/run.hpp"

#include "audit/families.hpp"
#include "audit/policy.hpp"
#include "core/exit_codes.hpp"
#include "core/jsonl.hpp"
#include "core/signals.hpp"
#include "core/targets.hpp"
#include "core/time.hpp"
#include "report/report.hpp"

#include <fnmatch.h>
#include <openssl/rand.h>

#include <atomic>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace dce::audit {
namespace {

bool matches(const std::vector<std::string>& globs, std::string_view id) {
    const std::string s(id);
    for (const auto& g : globs)
        if (fnmatch(g.c_str(), s.c_str(), 0) == 0) return true;
    return false;
}

std::string make_run_id() {
    unsigned char r[3] = {0, 0, 0};
    RAND_bytes(r, sizeof r);
    char suffix[8];
    std::snprintf(suffix, sizeof suffix, "%02x%02x%02x", r[0], r[1], r[2]);
    return now_timestamp() + "-" + suffix;
}

Json list_record(const Family& f, const CheckInfo& c) {
    Json r = new_record("check");
    r["family"] = f.name;
    r["id"] = c.id;
    r["title"] = c.title;
    r["severity"] = c.severity;
    r["reference"] = c.reference;
    r["help"] = c.help;
    return r;
}

}  // namespace

int run_audit(ToolContext& ctx, const AuditOptions& o) {
    if (o.print_default_policy) {
        std::string text(default_policy_text());
        write_all(ctx.output_fd(), text);
        return exit_ok;
    }
    if (o.list_checks) {
        for (const auto& f : families())
            for (const auto& c : f.checks)
                ctx.out().write(list_record(f, c));
        return exit_ok;
    }
    for (const auto& pattern : o.only)
        if (!pattern.empty() && pattern.find_first_of("*?[") == std::string::npos &&
            !find_check(pattern)) {
            ctx.log().error("--only {}: no such check (dce-audit --list-checks)", pattern);
            return exit_usage;
        }

    Policy policy;
    std::string error;
    if (!load_policy(o.policy, policy, error)) {
        ctx.log().error("{}", error);
        return exit_usage;
    }
    // Targets from the command line (and device records on stdin) join the policy's.
    std::vector<std::string> specs;
    bool from_stdin = false;
    for (const auto& t : o.targets)
        (t == "-" ? from_stdin = true : (specs.push_back(t), true));
    if (!specs.empty()) {
        TargetList list;
        std::vector<std::string> errors;
        if (!list.add_all(specs, errors)) {
            for (const auto& e : errors)
                ctx.log().error("{}", e);
            return exit_usage;
        }
        dce::Target t;
        while (list.next(t)) {
            if (!add_target(policy, t.host, o.role, nullptr, error)) {
                ctx.log().error("{}", error);
                return exit_usage;
            }
        }
    }
    bool skipped_input = false;
    if (from_stdin) {
        std::set<std::string> stdin_hosts;
        auto reader = ctx.record_reader();
        RecordLine line;
        while (reader.next(line)) {
            reader.count(line.ok);
            if (!line.ok) {
                ctx.log().error("stdin: {}", line.error);  // skipped; the run goes on
                continue;
            }
            const Json& rec = line.value;
            if (rec.value("type", "") == "device" && rec.contains("target") &&
                rec["target"].is_string()) {
                // One host found over several transports (SNMP, https://, http://,
                // tcp://) is one target: audited once, with its first device record.
                const auto& host = rec["target"].get<std::string>();
                if (!stdin_hosts.insert(host).second) {
                    ctx.log().debug("stdin: {} already a target ({} skipped)", host,
                                    rec.value("id", "?"));
                    continue;
                }
                if (!add_target(policy, host, o.role, rec, error)) {
                    ctx.log().error("{}", error);
                    return exit_usage;
                }
            } else {
                ctx.out().write_raw(line.raw);  // a pipe carries everything on, unchanged
            }
        }
        skipped_input = reader.rejected() > 0;
    }
    if (policy.targets.empty()) {
        ctx.log().error(
            "no targets: give addresses, '-' for device records, or a --policy "
            "with \"targets\"");
        return exit_usage;
    }

    const std::string run_id = o.run_id.empty() ? make_run_id() : o.run_id;
    set_rate(o.rate);
    const CredentialStore* creds = ctx.credentials(error);
    if (!creds && !error.empty()) ctx.log().warn("{}", error);

    report::Report report({"dce-audit", DCE_VERSION, "https://example.invalid/dce-tools"});
    for (const auto& f : families())
        for (const auto& c : f.checks)
            report.add_rule({std::string(c.id), std::string(c.name), std::string(c.title),
                             std::string(c.help), std::string(c.reference),
                             std::string(c.severity)});
    // SARIF anchors a finding to its target's line in the policy file; findings about a
    // port or service of a target are named "NAME tcp/23" and share the target's line.
    std::map<std::string, int> lines;
    for (const auto& t : policy.targets)
        if (!policy.path.empty() && t.line > 0) lines.emplace(t.name, t.line);

    std::map<std::string, std::size_t> counts;
    std::mutex mu;  // output, report and counts
    auto emit = [&](std::vector<Finding>& findings) {
        std::lock_guard lock(mu);
        for (auto& f : findings) {
            Json rec = to_record(f);
            rec["run"] = run_id;
            if (!o.site.empty()) rec["site"] = o.site;
            ++counts[std::string(to_string(f.status))];
            if (auto it = lines.find(f.target.substr(0, f.target.find(' '))); it != lines.end())
                report.set_origin(f.target, {policy.path, it->second});
            if (o.format == "json")
                ctx.out().write(rec);
            else
                report.add(rec);
        }
    };
    auto wanted = [&](std::string_view id) {
        if (!o.only.empty() && !matches(o.only, id)) return false;
        return !matches(o.skip, id);
    };
    auto stop = [&] { return ctx.stop_requested() || interrupted(); };

    std::atomic<std::size_t> next{0};
    std::exception_ptr failure;
    auto worker = [&] {
        for (;;) {
            std::size_t i = next.fetch_add(1);
            if (i >= policy.targets.size() || stop()) return;
            const Target& t = policy.targets[i];
            CheckContext cc{t,      policy, creds, std::chrono::milliseconds(o.timeout_ms),
                            wanted, stop};
            for (const auto& fam : families()) {
                if (stop()) return;
                bool any = false;
                for (const auto& c : fam.checks)
                    any = any || wanted(c.id);
                if (!any) continue;
                std::vector<Finding> found;
                try {
                    found = fam.run(cc);
                } catch (const OutputError&) {
                    std::lock_guard lock(mu);
                    failure = std::current_exception();
                    return;
                } catch (const std::exception& e) {
                    // A family's own bug or an unusable policy value: an error finding
                    // for that family, and the other families still run.
                    Finding f = make_finding(fam.checks.front(), t, Status::error,
                                             std::string(fam.name) + " checks failed: " + e.what());
                    found.push_back(std::move(f));
                }
                try {
                    emit(found);
                } catch (...) {
                    std::lock_guard lock(mu);
                    failure = std::current_exception();
                    return;
                }
            }
        }
    };
    const std::size_t n = std::max<std::size_t>(1, std::min(o.concurrency, policy.targets.size()));
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i + 1 < n; ++i)
        threads.emplace_back(worker);
    worker();
    for (auto& t : threads)
        t.join();
    if (failure) std::rethrow_exception(failure);

    if (o.format != "json") {
        auto fmt = report::parse_format(o.format);
        write_all(ctx.output_fd(), report.render(*fmt));
    }
    std::size_t total = 0;
    for (const auto& [_, c] : counts)
        total += c;
    ctx.log().info("{} targets, {} findings: {} pass, {} fail, {} warn, {} error, {} skip (run {})",
                   policy.targets.size(), total, counts["pass"], counts["fail"], counts["warn"],
                   counts["error"], counts["skip"], run_id);
    if (stop()) return exit_interrupted;
    if (counts["fail"]) return exit_check_failed;
    if (counts["error"] || skipped_input) return exit_runtime;
    return exit_ok;
}

}  // namespace dce::audit
