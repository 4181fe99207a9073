#include "certtool/certtool.hpp"

#include "core/context.hpp"
#include "core/exit_codes.hpp"
#include "core/files.hpp"
#include "core/jsonl.hpp"
#include "core/log.hpp"
#include "core/signals.hpp"
#include "core/targets.hpp"
#include "core/time.hpp"
#include "report/report.hpp"
#include "tls/keygen.hpp"
#include "tls/lint.hpp"
#include "tls/probe.hpp"
#include "tls/x509.hpp"

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <map>
#include <sstream>

namespace dce {
namespace {

using tls::EndpointResult;
using tls::EndpointSpec;
using tls::X509Ptr;

constexpr const char* tool_name = "dce-cert";

class UsageError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Where records go: JSON lines as they come, or a document (text/JUnit/SARIF) at the end.
class Output {
  public:
    Output(const CertOptions& o, bool lint)
        : lint_(lint), report_({tool_name, DCE_VERSION, "https://dce-tools.invalid/dce-cert"}) {
        std::string f = o.format;
        if (f.empty()) f = isatty(1) ? "text" : "json";
        auto parsed = report::parse_format(f);
        if (!parsed) throw UsageError("unknown --format " + f + " (json, text, junit, sarif)");
        format_ = *parsed;
        if (!lint && (format_ == report::Format::junit || format_ == report::Format::sarif))
            throw UsageError("--format " + f + " reports findings: use it with dce-cert lint");
        forward_ = !o.no_forward && format_ == report::Format::json;
        if (!o.output.empty()) {
            fd_ = open(o.output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            if (fd_ < 0) throw UsageError("cannot write " + o.output + ": " + std::strerror(errno));
        }
        writer_ = std::make_unique<RecordWriter>(fd_);
        for (const auto& c : tls::checks())
            report_.add_rule({std::string(c.id), std::string(c.name), std::string(c.summary),
                              std::string(c.help), std::string(c.reference),
                              std::string(to_string(c.severity))});
    }
    ~Output() {
        if (fd_ != 1) close(fd_);
    }

    void emit(const Json& rec) {
        std::string type = rec.value("type", "");
        if (type == "finding" && rec.value("status", "") == "fail") any_fail_ = true;
        if (type == "error") any_error_ = true;
        if (format_ == report::Format::json) return writer_->write(rec);
        if (type == "cert")
            certs_.push_back(rec);
        else
            report_.add(rec);
    }
    void forward(std::string_view raw) {
        if (forward_) writer_->write_raw(raw);
    }
    void set_origin(const std::string& target, const std::string& uri, int line) {
        report_.set_origin(target, {uri, line});
    }

    void finish() {
        if (format_ == report::Format::json) return writer_->flush();
        std::string doc;
        if (format_ == report::Format::text && !lint_) doc = cert_table();
        if (format_ != report::Format::text || report_.size() > 0 || lint_) {
            if (!doc.empty() && report_.size() > 0) doc += "\n";
            if (lint_ || report_.size() > 0) doc += report_.render(format_);
        }
        write_all(fd_, doc);
    }
    bool any_fail() const { return any_fail_; }
    bool any_error() const { return any_error_; }

  private:
    std::string cert_table() const {
        std::string out;
        for (const auto& c : certs_) {
            auto s = [&](const char* k) {
                return c.contains(k) && c[k].is_string() ? c[k].get<std::string>()
                                                         : std::string("-");
            };
            out += s("endpoint") + "\n";
            out += "  subject   " + s("subject") + "\n  issuer    " + s("issuer") + "\n";
            std::string sans;
            if (c.contains("sans"))
                for (const auto& n : c["sans"])
                    sans += (sans.empty() ? "" : ", ") + n.get<std::string>();
            out += "  sans      " + (sans.empty() ? "-" : sans) + "\n";
            out += "  valid     " + s("not_before") + " .. " + s("not_after") + "\n";
            if (c.contains("key") && c["key"].contains("error"))
                out += "  key       " + c["key"].value("error", "?") + ", " +
                       s("signature_algorithm") + "\n";
            else if (c.contains("key"))
                out += "  key       " + c["key"].value("type", "?") + " " +
                       std::to_string(c["key"].value("bits", 0)) + " bits, " +
                       s("signature_algorithm") + "\n";
            out += "  sha256    " + s("fingerprint_sha256") + "\n";
            if (c.contains("protocol"))
                out += "  session   " + s("protocol") + " " + s("cipher") + "\n";
            if (c.contains("protocols") && c["protocols"].is_object()) {
                std::string acc;
                for (const auto& [k, v] : c["protocols"].items())
                    acc += " " + k + (v.is_boolean() ? (v.get<bool>() ? "=yes" : "=no") : "=?");
                out += "  accepts  " + acc + "\n";
            }
            if (c.contains("trusted"))
                out += std::string("  trusted   ") +
                       (c["trusted"].get<bool>() ? "yes" : "no: " + s("verify_error")) + "\n";
            out += "\n";
        }
        return out;
    }

    bool lint_;
    report::Format format_ = report::Format::json;
    bool forward_ = true;
    int fd_ = 1;
    std::unique_ptr<RecordWriter> writer_;
    report::Report report_;
    std::vector<Json> certs_;
    bool any_fail_ = false, any_error_ = false;
};

struct Work {
    std::vector<EndpointSpec> endpoints;
    std::vector<std::string> device_of;  ///< by endpoint tag
    std::vector<std::string>
        match_name;  ///< by endpoint tag: name to match the certificate against
    std::vector<std::string> files;
    int input_fd = 0;             ///< where device records or host lines come in
    std::uint64_t bad_lines = 0;  ///< input lines skipped: the run exits 3
};

bool is_regular_file(const std::string& p) {
    struct stat st {};
    return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

class Gatherer {
  public:
    Gatherer(const CertOptions& o, Work& w, Output& out) : o_(o), w_(w), out_(out) {}

    void add_spec(std::string_view spec, const std::string& origin_file, int line,
                  const std::string& device = {}) {
        TargetList list(TargetOptions{.max_addresses = o_.max_targets, .allow_ports = true});
        std::string err;
        if (!list.add(spec, err))
            throw UsageError(
                origin_file.empty() ? err : origin_file + ":" + std::to_string(line) + ": " + err);
        Target t;
        while (list.next(t))
            add_target(t, origin_file, line, device);
    }

    void add_target(Target t, const std::string& origin_file, int line, const std::string& device,
                    std::optional<std::uint16_t> port = {}) {
        if (w_.endpoints.size() >= o_.max_targets)
            throw UsageError("more than " + std::to_string(o_.max_targets) +
                             " endpoints; raise --max-targets");
        if (port) t.port = port;
        if (!t.port) t.port = static_cast<std::uint16_t>(o_.default_port);
        EndpointSpec e;
        e.label = t.to_string();
        e.host = t.host;
        e.port = *t.port;
        e.sni = !o_.sni.empty() ? o_.sni : (t.is_name ? t.host : std::string());
        e.starttls = *tls::parse_starttls(o_.starttls);
        e.tag = w_.endpoints.size();
        w_.endpoints.push_back(e);
        w_.device_of.push_back(device);
        w_.match_name.push_back(!o_.sni.empty() ? o_.sni : t.host);
        if (!origin_file.empty()) out_.set_origin(e.label, origin_file, line);
    }

    void add_inventory(const std::string& path) {
        std::string text, why;
        if (!read_file_capped(path, max_list_file, text, why))
            throw UsageError("inventory: " + why);
        std::istringstream in(text);
        std::string line;
        int n = 0;
        while (std::getline(in, line)) {
            ++n;
            auto hash = line.find('#');
            if (hash != std::string::npos) line.resize(hash);
            auto b = line.find_first_not_of(" \t\r");
            if (b == std::string::npos) continue;
            auto e = line.find_last_not_of(" \t\r");
            add_spec(std::string_view(line).substr(b, e - b + 1), path, n);
        }
    }

    // `device` records: their HTTPS endpoints are checked; every record passes through.
    void read_stdin() {
        RecordReader reader(w_.input_fd, {.max_line = 1 << 20, .check_contract = true});
        RecordLine rl;
        std::uint64_t bad = 0;
        while (reader.next(rl)) {
            if (!rl.ok) {
                // A plain target list on stdin ("host:port" lines) is welcome too.
                std::string_view raw = rl.raw;
                while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\t'))
                    raw.remove_suffix(1);
                if (!raw.empty() && raw.front() != '{' && raw.front() != '[' &&
                    raw.front() != '#') {
                    std::string dummy;
                    TargetList probe;
                    if (probe.add(raw, dummy)) {
                        add_spec(raw, {}, 0);
                        continue;
                    }
                }
                spdlog::warn("stdin {}", rl.error);
                ++bad;
                continue;
            }
            out_.forward(rl.raw);
            const Json& r = rl.value;
            if (r.value("type", "") != "device") continue;
            std::string transport = r.value("transport", "");
            int port =
                r.contains("port") && r["port"].is_number_integer() ? r["port"].get<int>() : 0;
            std::optional<std::uint16_t> use;
            if (transport == "https")
                use = static_cast<std::uint16_t>(port > 0 ? port : 443);
            else if (port == 443 || port == 8443)
                use = static_cast<std::uint16_t>(port);
            else if (transport == "http")
                use = 443;  // web UI found over HTTP: check its HTTPS side
            if (!use) continue;
            std::string host = r.value("target", "");
            TargetList list;
            std::string err;
            if (host.empty() || !list.add(host, err)) {
                spdlog::warn("stdin line {}: device {} has no usable target", rl.number,
                             r.value("id", "?"));
                ++bad;
                continue;
            }
            Target t;
            while (list.next(t))
                add_target(t, {}, 0, r.value("id", ""), use);
        }
        if (bad) spdlog::error("{} input line(s) skipped", bad);
        w_.bad_lines += bad;
    }

  private:
    const CertOptions& o_;
    Work& w_;
    Output& out_;
};

void gather(const CertOptions& o, Work& w, Output& out) {
    Gatherer g(o, w, out);
    for (const auto& f : o.files)
        w.files.push_back(f);
    for (const auto& t : o.targets) {
        if (t.size() > 1 && t[0] == '@')
            g.add_inventory(t.substr(1));
        else if (t == "-")
            g.read_stdin();
        else if (t.find('/') != std::string::npos && is_regular_file(t))
            w.files.push_back(t);
        else if (is_regular_file(t) && (t.ends_with(".pem") || t.ends_with(".crt") ||
                                        t.ends_with(".der") || t.ends_with(".cer")))
            w.files.push_back(t);
        else
            g.add_spec(t, {}, 0);
    }
    if (o.targets.empty() && o.files.empty()) {
        if (isatty(w.input_fd))
            throw UsageError(
                "no targets: give host[:port], @inventory, certificate files, or device records on "
                "stdin");
        g.read_stdin();
    }
}

std::optional<std::string> match_name_for(const CertOptions& o) {
    if (!o.host.empty()) return o.host;
    if (!o.sni.empty()) return o.sni;
    return std::nullopt;
}

Json cert_record(const std::string& endpoint, const std::vector<X509Ptr>& chain,
                 const tls::TrustStore& trust, const std::optional<std::string>& name) {
    Json rec = new_record("cert");
    rec["endpoint"] = endpoint;
    if (chain.empty()) return rec;
    tls::CertInfo leaf = tls::describe_cert(chain.front().get());
    Json fields = tls::cert_fields(leaf);
    for (auto& [k, v] : fields.items())
        rec[k] = v;
    Json arr = Json::array();
    for (const auto& x : chain)
        arr.push_back(tls::cert_fields(tls::describe_cert(x.get())));
    rec["chain"] = arr;
    std::string why;
    bool trusted = trust.verify(chain, why);
    rec["trusted"] = trusted;
    if (!trusted) rec["verify_error"] = why;
    if (name) rec["hostname_match"] = tls::matches_host(chain.front().get(), *name);
    std::string vd;
    rec["vendor_default"] = tls::is_vendor_default(leaf, vd);
    return rec;
}

void add_network_fields(Json& rec, const EndpointResult& r, const std::string& device) {
    if (!r.spec.sni.empty()) rec["sni"] = r.spec.sni;
    if (!device.empty()) rec["device"] = device;
    if (r.spec.starttls != tls::Starttls::none)
        rec["starttls"] = std::string(tls::to_string(r.spec.starttls));
    rec["address"] = r.address;
    rec["source"] = "network";
    const auto& f = r.facts;
    rec["protocol"] = f.protocol;
    rec["cipher"] = f.cipher;
    rec["forward_secret"] = f.negotiated_fs;
    if (f.probed) {
        Json p = Json::object();
        for (const char* v : {"ssl3", "tls1.0", "tls1.1", "tls1.2", "tls1.3"}) {
            auto it = f.versions.find(v);
            p[v] = it != f.versions.end() && it->second ? Json(*it->second) : Json(nullptr);
        }
        rec["protocols"] = p;
        if (!f.ssl3_note.empty()) rec["protocols_note"] = f.ssl3_note;
        Json w = {
            {"accepted", f.weak_cipher_accepted ? Json(*f.weak_cipher_accepted) : Json(nullptr)},
            {"classes_probed", f.weak_classes_probed},
            {"classes_not_probed", f.weak_classes_not_probed}};
        if (!f.weak_cipher.empty()) w["cipher"] = f.weak_cipher;
        rec["weak_ciphers"] = w;
        Json n = {{"accepted", f.non_fs_accepted ? Json(*f.non_fs_accepted) : Json(nullptr)}};
        if (!f.non_fs_cipher.empty()) n["cipher"] = f.non_fs_cipher;
        rec["non_forward_secret"] = n;
    }
    rec["elapsed_ms"] = static_cast<std::int64_t>(r.elapsed_ms + 0.5);
}

int run_targets(ToolContext& ctx, const CertOptions& o, bool lint) {
    Output out(o, lint);
    Work w;
    w.input_fd = ctx.input_fd();
    gather(o, w, out);
    if (!tls::parse_starttls(o.starttls)) throw UsageError("unknown --starttls " + o.starttls);
    auto timeout = std::chrono::milliseconds(o.timeout_ms);
    tls::TrustStore trust;
    std::string why;
    if (!trust.load(o.ca_file, why)) throw UsageError(why);

    auto started = std::chrono::steady_clock::now();
    std::size_t errors = 0, fails = 0;
    auto emit_findings = [&](const tls::LintInput& in) {
        for (const auto& f : tls::lint(in)) {
            if (f.status == Status::fail) ++fails;
            out.emit(to_record(f));
        }
    };

    // Certificate files: no server to ask, so only the certificate checks apply.
    for (const auto& path : w.files) {
        std::string err, bytes;
        std::vector<X509Ptr> chain;
        if (!read_file_capped(path, max_small_file, bytes, err)) {
            ++errors;
            out.emit(make_error_record(tool_name, path, "io", err));
            continue;
        }
        if (!tls::parse_certificates(bytes, chain, err)) {
            ++errors;
            out.emit(make_error_record(tool_name, path, "parse",
                                       "cannot read a certificate from " + path + ": " + err));
            continue;
        }
        if (!lint) {
            Json rec = cert_record(path, chain, trust, match_name_for(o));
            rec["source"] = "file";
            out.emit(rec);
            continue;
        }
        tls::LintInput in;
        in.target = path;
        in.chain = chain;
        in.host = match_name_for(o);
        in.trust = &trust;
        in.warn_days = o.warn_days;
        emit_findings(in);
    }

    if (!w.endpoints.empty()) {
        for (const auto& e : w.endpoints)
            if (!is_loopback_address(e.host))
                spdlog::debug("target {} is not on loopback", e.label);
        tls::Prober prober;
        tls::ProbeOptions po;
        po.concurrency = o.concurrency;
        po.timeout = timeout;
        po.probe_protocols = lint || !o.no_probe;
        std::size_t done = 0;
        bool progress = log::stderr_is_tty() && w.endpoints.size() > 1;
        prober.run(
            w.endpoints, po,
            [&](EndpointResult&& r) {
                ++done;
                if (progress)
                    std::cerr << "\r" << done << "/" << w.endpoints.size() << " endpoints"
                              << std::flush;
                const std::string& device = w.device_of[r.spec.tag];
                if (!r.ok) {
                    ++errors;
                    Json e = make_error_record(tool_name, r.spec.label, r.error_code,
                                               r.spec.label + ": " + r.error_message);
                    if (!device.empty()) e["device"] = device;
                    out.emit(e);
                    return;
                }
                if (!lint) {
                    Json rec = cert_record(r.spec.label, r.chain, trust, w.match_name[r.spec.tag]);
                    add_network_fields(rec, r, device);
                    out.emit(rec);
                    return;
                }
                tls::LintInput in;
                in.target = r.spec.label;
                in.chain = r.chain;
                in.host = w.match_name[r.spec.tag];
                in.trust = &trust;
                in.protocols = r.facts;
                in.warn_days = o.warn_days;
                emit_findings(in);
            },
            [] { return interrupted(); });
        if (progress) std::cerr << "\r" << std::string(30, ' ') << "\r";
    }
    out.finish();
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    spdlog::info("{} endpoint(s), {} file(s): {} failed check(s), {} error(s) in {:.2f} s",
                 w.endpoints.size(), w.files.size(), fails, errors, secs);
    if (interrupted()) return exit_interrupted;
    int rc = exit_ok;
    if (out.any_fail()) rc = worse_exit(rc, exit_check_failed);
    if (out.any_error() || w.bad_lines) rc = worse_exit(rc, exit_runtime);
    return rc;
}

// Passphrases: stdin, an environment variable named on the command line, or a
// credentials-file entry — never the value itself on argv.
std::optional<Secret> passphrase(ToolContext& ctx, const CertOptions& o) {
    int sources = o.passphrase_stdin + !o.passphrase_env.empty() + !o.passphrase_credential.empty();
    if (sources > 1)
        throw UsageError(
            "give one of --passphrase-stdin, --passphrase-env, --passphrase-credential");
    if (o.passphrase_stdin) {
        // One line, capped: stdin may be a device or an endless pipe by mistake.
        constexpr std::size_t max_passphrase = 4096;
        std::string line;
        char ch;
        while (line.size() <= max_passphrase && std::cin.get(ch) && ch != '\n')
            line.push_back(ch);
        if (line.size() > max_passphrase)
            throw UsageError("--passphrase-stdin: longer than " + format_size(max_passphrase));
        if (line.empty() && !std::cin) throw UsageError("--passphrase-stdin: nothing on stdin");
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) throw UsageError("--passphrase-stdin: empty passphrase");
        return Secret(std::move(line));
    }
    if (!o.passphrase_env.empty()) {
        const char* v = std::getenv(o.passphrase_env.c_str());
        if (!v || !*v) throw UsageError("--passphrase-env: $" + o.passphrase_env + " is not set");
        return Secret(v);
    }
    if (!o.passphrase_credential.empty()) {
        const std::string& path = ctx.credentials_path();
        if (path.empty()) throw UsageError("--passphrase-credential needs --credentials FILE");
        std::string err;
        const CredentialStore* store = ctx.credentials(err);
        if (!store) throw UsageError(err);
        const Credential* c = store->find(o.passphrase_credential);
        if (!c) throw UsageError("no entry [" + o.passphrase_credential + "] in " + path);
        for (const char* k : {"passphrase", "password"})
            if (const Secret* s = c->secret(k)) return *s;
        throw UsageError("entry [" + o.passphrase_credential + "] has no password");
    }
    return std::nullopt;
}

int make_key_and(ToolContext& ctx, const CertOptions& o, bool self_signed) {
    if (!tls::valid_key_type(o.key_type)) throw UsageError("unknown --key-type " + o.key_type);
    if (o.subject.empty())
        throw UsageError("--subject is required, e.g. --subject 'CN=ups1.example.com,O=Example'");
    if (o.key_out.empty() || o.out.empty()) throw UsageError("--key-out and --out are required");
    if (o.key_out == o.out) throw UsageError("--key-out and --out must differ");
    if (o.days <= 0 || o.days > 3650) throw UsageError("--days must be 1..3650");
    auto pass = passphrase(ctx, o);
    // Refuse before the slow key generation, and before writing anything.
    if (!o.force)
        for (const auto& p : {o.key_out, o.out})
            if (access(p.c_str(), F_OK) == 0)
                throw UsageError(p + " exists; give --force to replace it");
    tls::CertRequest req{o.subject, o.sans, o.days};
    std::string why, san;
    if (!tls::san_value(o.sans, san, why)) throw UsageError(why);
    tls::PkeyPtr key;
    if (!tls::generate_key(o.key_type, key, why)) throw std::runtime_error(why);
    std::string pem;
    tls::X509Ptr cert;
    bool ok = self_signed ? tls::make_self_signed(key.get(), req, cert, pem, why)
                          : tls::make_csr(key.get(), req, pem, why);
    if (!ok) throw UsageError(why);
    if (!tls::write_private_key(o.key_out, key.get(), pass ? &*pass : nullptr, o.force, why))
        throw std::runtime_error(why);
    if (!tls::write_public_file(o.out, pem, o.force, why)) throw std::runtime_error(why);
    spdlog::info("wrote {} key {}{} and {} {}", o.key_type, o.key_out, pass ? " (encrypted)" : "",
                 self_signed ? "certificate" : "request", o.out);
    if (self_signed) {
        tls::TrustStore trust;
        std::string err;
        trust.load({}, err);
        Json rec = cert_record(o.out, {cert}, trust, std::nullopt);
        rec["source"] = "file";
        ctx.out().write(rec);
    }
    return exit_ok;
}

}  // namespace

int run_cert_inspect(ToolContext& ctx, const CertOptions& o) {
    try {
        return run_targets(ctx, o, false);
    } catch (const UsageError& e) {
        spdlog::error("{}", e.what());
        return exit_usage;
    }
}

int run_cert_lint(ToolContext& ctx, const CertOptions& o) {
    try {
        return run_targets(ctx, o, true);
    } catch (const UsageError& e) {
        spdlog::error("{}", e.what());
        return exit_usage;
    }
}

int run_cert_csr(ToolContext& ctx, const CertOptions& o) {
    try {
        return make_key_and(ctx, o, false);
    } catch (const UsageError& e) {
        spdlog::error("{}", e.what());
        return exit_usage;
    }
}

int run_cert_selfsigned(ToolContext& ctx, const CertOptions& o) {
    try {
        return make_key_and(ctx, o, true);
    } catch (const UsageError& e) {
        spdlog::error("{}", e.what());
        return exit_usage;
    }
}

int run_cert_check_pair(ToolContext& ctx, const CertOptions& o) {
    try {
        if (o.cert_file.empty()) throw UsageError("--cert is required");
        Output out(o, true);
        std::string why;
        std::vector<X509Ptr> certs, chain;
        if (!tls::load_certificates_file(o.cert_file, certs, why)) throw UsageError(why);
        if (!o.chain_file.empty()) {
            if (!tls::load_certificates_file(o.chain_file, chain, why)) throw UsageError(why);
            certs.insert(certs.end(), chain.begin(), chain.end());
        }
        tls::PkeyPtr key;
        if (!o.key_file.empty()) {
            auto pass = passphrase(ctx, o);
            if (!tls::load_private_key(o.key_file, pass ? &*pass : nullptr, key, why)) {
                out.emit(make_error_record(tool_name, o.key_file, "key", why));
                out.finish();
                return exit_runtime;
            }
        }
        tls::TrustStore trust;
        tls::PairInput in{o.cert_file, key.get(), certs, nullptr};
        if (!o.ca_file.empty()) {
            if (!trust.load(o.ca_file, why)) throw UsageError(why);
            in.trust = &trust;
        }
        for (const auto& f : tls::check_pair(in))
            out.emit(to_record(f));
        out.finish();
        return out.any_fail() ? exit_check_failed : exit_ok;
    } catch (const UsageError& e) {
        spdlog::error("{}", e.what());
        return exit_usage;
    }
}

}  // namespace dce
