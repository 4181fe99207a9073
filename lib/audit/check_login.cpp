// The handbook's login advice checked from outside: the vendor's default accounts do not
// log in (tried only when the site policy allows it, one attempt per account), and a bad
// login is refused and shows up in the log the site watches, within a time window.
//
// Policy keys:
//   try_default_logins (top level) [false]: only when true are default accounts tried;
//                     otherwise login.default-credentials is a skip finding.
//   default_accounts  [apc/apc, device/apc, readonly/apc]: [{"user": U, "password": P}]; the
//                     target's (or its role's) key wins over the top-level one. These are
//                     published vendor defaults, not secrets; passwords never reach a record.
//   web.login         {"url": "https://{host}:443/path" ({host}: the target's address),
//                      "kind": "basic" | "form",
//                      "user_field": "username", "pass_field": "password"  (form),
//                      "success": 200}  (optional)
//                     basic: Authorization: Basic on GET; 401/403 is a refusal; accepted is
//                     "success" when given, else any 2xx/3xx. Before any attempt one GET
//                     without credentials must be refused, or nothing can be judged.
//                     form: one POST (application/x-www-form-urlencoded) of the two fields;
//                     accepted is "success" when given, else a 3xx redirect to a path other
//                     than the login page's; a 2xx (the form again), 401/403 or a redirect
//                     back to the login page is a refusal. 5xx and other answers: error.
//   logs              where a refused login must appear (checked on the machine running
//                     dce-audit, so for services on it or a log it can read):
//                     {"kind": "file", "path": "/var/log/...", "pattern": "regex; {user} is
//                      the probe user", "window": "30s"}: new bytes since just before the
//                      attempt, polled until the window ends;
//                     {"kind": "journal", "unit": "nginx" (optional), "pattern", "window"}:
//                      journalctl --since the attempt;
//                     {"kind": "http", "url": "...", "window"}: GET, the body must name the
//                      probe user. Default pattern: the probe user; default window: 30s.
#include "audit/families.hpp"
#include "audit/http.hpp"
#include "core/time.hpp"

#include <fcntl.h>
#include <openssl/rand.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

extern char** environ;

namespace dce::audit {
namespace {

const CheckInfo checks[] = {
    {"login.default-credentials", "DefaultLoginsRefused",
     "The vendor's default accounts (apc/apc, device/apc, readonly/apc) cannot log in",
     "Change the passwords of the default accounts (or disable them) on the device, then "
     "re-run the audit.",
     "DCE security handbook: Change default passwords; Validate security settings", "critical"},
    {"login.refused-and-logged", "BadLoginRefusedAndLogged",
     "A bad login is refused and appears in the site's log within the window",
     "Make the device or service log failed logins (syslog to the site's collector, or the "
     "web server's error log), and point the policy's \"logs\" at where they arrive.",
     "DCE security handbook: Validate security settings (a denied login is denied and logged)",
     "high"},
};
const CheckInfo& defaults_check = checks[0];
const CheckInfo& logged_check = checks[1];

constexpr const char* probe_user = "dce-audit-probe";

struct LoginSpec {
    Url url;
    std::string url_text;
    std::string kind;  ///< basic | form
    std::string user_field = "username", pass_field = "password";
    std::optional<int> success;
};

/// Reads web.login; false with `why` when it is missing or unusable.
bool login_spec(const CheckContext& ctx, LoginSpec& s, std::string& why) {
    const Json web = ctx.target.policy.value("web", Json::object());
    if (!web.contains("login") || !web["login"].is_object()) {
        why = "the policy has no web.login for this target";
        return false;
    }
    const Json& l = web["login"];
    s.url_text = l.value("url", std::string());
    std::string host = ctx.target.address;
    if (host.find(':') != std::string::npos && host.front() != '[') host = "[" + host + "]";
    for (auto at = s.url_text.find("{host}"); at != std::string::npos;
         at = s.url_text.find("{host}", at + host.size()))
        s.url_text.replace(at, 6, host);
    if (!parse_url(s.url_text, s.url, why)) {
        why = "web.login.url: " + why;
        return false;
    }
    s.kind = l.value("kind", std::string("basic"));
    if (s.kind != "basic" && s.kind != "form") {
        why = "web.login.kind must be \"basic\" or \"form\", not \"" + s.kind + "\"";
        return false;
    }
    s.user_field = l.value("user_field", s.user_field);
    s.pass_field = l.value("pass_field", s.pass_field);
    if (l.contains("success")) {
        if (!l["success"].is_number_integer()) {
            why = "web.login.success must be an HTTP status code";
            return false;
        }
        s.success = l["success"].get<int>();
    }
    return true;
}

enum class Verdict { accepted, refused, unclear };

struct Attempt {
    Verdict verdict = Verdict::unclear;
    HttpResponse response;
    std::string why;  ///< for unclear
};

/// "a, b, c" for a message.
std::string join(const std::vector<std::string>& v) {
    return fmt::format("{}", fmt::join(v, ", "));
}

HttpRequest base_request(const LoginSpec& s) {
    HttpRequest req;
    req.host = s.url.host;
    req.port = s.url.port;
    req.tls = s.url.scheme == "https";
    req.path = s.url.path;
    return req;
}

std::string path_only(const std::string& p) {
    return p.substr(0, p.find('?'));
}

/// Judges an answer to a login by the rules in the header comment.
Attempt judge(const LoginSpec& s, HttpResponse r) {
    Attempt a;
    a.response = std::move(r);
    const HttpResponse& res = a.response;
    if (!res.ok) {
        a.why = res.error;
        return a;
    }
    const int st = res.status;
    if (s.success && st == *s.success) {
        a.verdict = Verdict::accepted;
    } else if (st == 401 || st == 403) {
        a.verdict = Verdict::refused;
    } else if (s.kind == "basic") {
        if (!s.success && st >= 200 && st < 400) a.verdict = Verdict::accepted;
    } else if (st >= 200 && st < 300) {
        a.verdict = Verdict::refused;  // the form again, with its error
    } else if (st >= 300 && st < 400) {
        std::string to = res.header("Location").value_or("");
        Url u;
        std::string why;
        std::string to_path = parse_url(to, u, why) ? u.path : to;
        const bool back = to.empty() || path_only(to_path) == path_only(s.url.path);
        a.verdict = back ? Verdict::refused : s.success ? Verdict::refused : Verdict::accepted;
    }
    if (a.verdict == Verdict::unclear)
        a.why = "status " + std::to_string(st) + " is neither a refusal nor a success";
    return a;
}

Attempt try_login(const LoginSpec& s, std::string_view user, std::string_view password,
                  std::chrono::milliseconds timeout) {
    HttpRequest req = base_request(s);
    if (s.kind == "basic") {
        std::string pair = std::string(user) + ":" + std::string(password);
        req.headers.emplace_back("Authorization", "Basic " + base64(pair));
        std::fill(pair.begin(), pair.end(), '\0');
    } else {
        req.method = "POST";
        req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
        req.body = form_escape(s.user_field) + "=" + form_escape(user) + "&" +
                   form_escape(s.pass_field) + "=" + form_escape(password);
    }
    Attempt a = judge(s, http_request(req, timeout));
    // The request held the password: wipe it before the request goes away.
    for (auto& [k, v] : req.headers)
        std::fill(v.begin(), v.end(), '\0');
    std::fill(req.body.begin(), req.body.end(), '\0');
    return a;
}

const char* verdict_name(Verdict v) {
    return v == Verdict::accepted ? "accepted" : v == Verdict::refused ? "refused" : "unclear";
}

Json attempt_evidence(const Attempt& a) {
    Json e = {{"result", verdict_name(a.verdict)}};
    if (a.response.ok) e["status"] = a.response.status;
    if (auto loc = a.response.header("Location")) e["location"] = *loc;
    if (!a.why.empty()) e["detail"] = a.why;
    return e;
}

/// For basic auth: the page must refuse a request without credentials, or an "accepted"
/// default login would mean nothing. Empty when it does; otherwise why not.
std::string baseline_problem(const LoginSpec& s, std::chrono::milliseconds timeout) {
    if (s.kind != "basic") return {};
    HttpResponse r = http_request(base_request(s), timeout);
    if (!r.ok) return "cannot reach " + s.url_text + ": " + r.error;
    if (r.status == 401 || r.status == 403) return {};
    return s.url_text + " answers " + std::to_string(r.status) +
           " without any credentials: it does not ask for a login";
}

Finding finding(const CheckInfo& c, const CheckContext& ctx, Status st, std::string msg,
                Json ev = Json::object()) {
    return make_finding(c, ctx.target, st, std::move(msg), std::move(ev));
}

Finding check_defaults(const CheckContext& ctx) {
    const Json& doc = ctx.policy.doc;
    if (!(doc.contains("try_default_logins") && doc["try_default_logins"] == true))
        return finding(defaults_check, ctx, Status::skip,
                       "try_default_logins is not true in the policy: default logins are not "
                       "tried");
    LoginSpec s;
    std::string why;
    if (!login_spec(ctx, s, why)) return finding(defaults_check, ctx, Status::skip, why);
    Json accounts = Json::array({{{"user", "apc"}, {"password", "apc"}},
                                 {{"user", "device"}, {"password", "apc"}},
                                 {{"user", "readonly"}, {"password", "apc"}}});
    if (ctx.target.policy.contains("default_accounts"))
        accounts = ctx.target.policy["default_accounts"];
    else if (doc.contains("default_accounts"))
        accounts = doc["default_accounts"];
    Json ev = {{"url", s.url_text}, {"kind", s.kind}, {"accounts", Json::array()}};
    if (!accounts.is_array())
        return finding(defaults_check, ctx, Status::error,
                       "default_accounts must be a list of {\"user\", \"password\"}", ev);
    if (std::string p = baseline_problem(s, ctx.timeout); !p.empty())
        return finding(defaults_check, ctx, Status::error, p + "; default logins not tried", ev);
    std::vector<std::string> accepted, unclear;
    for (const auto& acc : accounts) {
        if (ctx.stop()) break;
        if (!acc.is_object() || !acc.contains("user") || !acc["user"].is_string() ||
            !acc.contains("password") || !acc["password"].is_string())
            return finding(defaults_check, ctx, Status::error,
                           "default_accounts entries need \"user\" and \"password\" strings", ev);
        const std::string user = acc["user"].get<std::string>();
        // Exactly one attempt per account: a lockout policy must never trip on the audit.
        Attempt a = try_login(s, user, acc["password"].get<std::string>(), ctx.timeout);
        Json e = attempt_evidence(a);
        e["user"] = user;
        ev["accounts"].push_back(e);
        if (a.verdict == Verdict::accepted) accepted.push_back(user);
        if (a.verdict == Verdict::unclear) unclear.push_back(user + " (" + a.why + ")");
    }
    if (!accepted.empty())
        return finding(defaults_check, ctx, Status::fail,
                       "default account(s) log in at " + s.url_text + ": " + join(accepted), ev);
    if (!unclear.empty())
        return finding(defaults_check, ctx, Status::error,
                       "cannot tell whether default accounts log in: " + join(unclear), ev);
    return finding(defaults_check, ctx, Status::pass,
                   "every default account (" + std::to_string(ev["accounts"].size()) +
                       ") is refused at " + s.url_text,
                   ev);
}

std::string random_password() {
    unsigned char r[18];
    if (RAND_bytes(r, sizeof r) != 1) throw std::runtime_error("no random bytes for the probe");
    std::string s;
    static const char hex[] = "0123456789abcdef";
    for (unsigned char c : r) {
        s += hex[c >> 4];
        s += hex[c & 15];
    }
    return s;
}

std::string regex_escape(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (std::strchr("\\^$.|?*+()[]{}", c)) out += '\\';
        out += c;
    }
    return out;
}

/// A log source polled for the probe's line.
struct LogWatch {
    std::string kind;
    Json log;
    std::regex pattern;
    std::string pattern_text;
    std::string path;              ///< file
    long long offset = 0;          ///< file: size before the attempt
    SystemTime since;              ///< journal: just before the attempt
    std::string error;             ///< why the source cannot be read (an error finding)
    std::string found_line;        ///< the first match
    bool password_logged = false;  ///< the probe's password appeared in the new text
};

/// The new text of the source since the attempt; false with w.error when unreadable.
bool read_new(LogWatch& w, const CheckContext& ctx, std::string& text) {
    if (w.kind == "file") {
        std::ifstream in(w.path, std::ios::binary);
        if (!in) {
            w.error = "cannot read " + w.path + ": " + std::strerror(errno);
            return false;
        }
        in.seekg(0, std::ios::end);
        long long size = in.tellg();
        long long from = size < w.offset ? 0 : w.offset;  // rotated: start over
        in.seekg(from);
        constexpr long long cap = 16 << 20;
        text.resize(static_cast<std::size_t>(std::min(size - from, cap)));
        in.read(text.data(), static_cast<std::streamsize>(text.size()));
        text.resize(static_cast<std::size_t>(in.gcount()));
        return true;
    }
    if (w.kind == "http") {
        Url u;
        std::string why;
        if (!parse_url(w.log.value("url", std::string()), u, why)) {
            w.error = "logs.url: " + why;
            return false;
        }
        HttpResponse r =
            http_request({"GET", u.host, u.port, u.scheme == "https", u.path, {}, {}}, ctx.timeout);
        if (!r.ok) {
            w.error = "cannot read " + w.log.value("url", std::string()) + ": " + r.error;
            return false;
        }
        text = r.body;
        return true;
    }
    // journal: journalctl on this machine, from just before the attempt.
    const auto secs =
        std::chrono::duration_cast<std::chrono::seconds>(w.since.time_since_epoch()).count();
    std::vector<std::string> args = {
        "journalctl", "--no-pager", "-q", "-o", "cat", "--since", "@" + std::to_string(secs)};
    if (w.log.contains("unit") && w.log["unit"].is_string())
        args.insert(args.end(), {"-u", w.log["unit"].get<std::string>()});
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    int out_pipe[2];
    if (pipe2(out_pipe, O_CLOEXEC) != 0) {
        w.error = std::string("pipe: ") + std::strerror(errno);
        return false;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 2);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    pid_t pid = 0;
    int rc = posix_spawnp(&pid, "journalctl", &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(out_pipe[1]);
    if (rc != 0) {
        close(out_pipe[0]);
        w.error = rc == ENOENT ? "journalctl is not installed on this machine"
                               : std::string("cannot run journalctl: ") + std::strerror(rc);
        return false;
    }
    const auto deadline = std::chrono::steady_clock::now() + ctx.timeout;
    char buf[65536];
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd p{out_pipe[0], POLLIN, 0};
        if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
            kill(pid, SIGKILL);  // our own child, by its pid
            break;
        }
        ssize_t n = read(out_pipe[0], buf, sizeof buf);
        if (n <= 0) break;
        if (text.size() < (16u << 20)) text.append(buf, static_cast<std::size_t>(n));
    }
    close(out_pipe[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (text.find("No journal files were found") != std::string::npos) {
        w.error = "journalctl finds no journal on this machine";  // older journalctl
        return false;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        w.error = "journalctl failed: " + text.substr(0, 200);
        return false;
    }
    return true;
}

/// True when this machine has journal files journalctl could read.
bool journal_present() {
    namespace fs = std::filesystem;
    for (const char* dir : {"/run/log/journal", "/var/log/journal"}) {
        std::error_code ec;
        for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end;
             it.increment(ec)) {
            if (it.depth() > 1) it.disable_recursion_pending();
            if (it->path().extension() == ".journal") return true;
        }
    }
    return false;
}

bool prepare_watch(const CheckContext& ctx, const Json& log, LogWatch& w, std::string& why) {
    w.log = log;
    w.kind = log.value("kind", std::string());
    if (w.kind != "file" && w.kind != "journal" && w.kind != "http") {
        why = "logs.kind must be \"file\", \"journal\" or \"http\"";
        return false;
    }
    w.pattern_text = log.value("pattern", std::string("{user}"));
    std::string re = w.pattern_text;
    for (auto at = re.find("{user}"); at != std::string::npos; at = re.find("{user}", at + 1))
        re.replace(at, 6, regex_escape(probe_user));
    try {
        w.pattern = std::regex(re, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
        why = "logs.pattern is not a valid regular expression: " + std::string(e.what());
        return false;
    }
    if (w.kind == "journal" && !journal_present()) {
        // journalctl prints nothing and exits 0 without a journal: say so before any
        // login, or the check would read as "not logged".
        why =
            "no systemd journal on this machine (no *.journal under /run/log/journal or "
            "/var/log/journal): logs.kind \"journal\" cannot be checked here";
        return false;
    }
    if (w.kind == "file") {
        w.path = log.value("path", std::string());
        struct stat st {};
        if (w.path.empty() || stat(w.path.c_str(), &st) != 0) {
            why = "logs.path " + (w.path.empty() ? std::string("is missing")
                                                 : w.path + ": " + std::strerror(errno));
            return false;
        }
        w.offset = st.st_size;
    }
    // A second of slack: journalctl --since has whole seconds.
    w.since = std::chrono::system_clock::now() - std::chrono::seconds(1);
    (void)ctx;
    return true;
}

/// Polls the source until the probe's line shows up or the window ends.
bool watch_for(LogWatch& w, const CheckContext& ctx, std::chrono::milliseconds window,
               const std::string& password) {
    const auto end = std::chrono::steady_clock::now() + window;
    for (;;) {
        std::string text;
        if (!read_new(w, ctx, text)) return false;
        if (text.find(password) != std::string::npos) w.password_logged = true;
        std::size_t start = 0;
        while (start < text.size()) {
            std::size_t eol = text.find('\n', start);
            std::string line = text.substr(start, eol == std::string::npos ? eol : eol - start);
            start = eol == std::string::npos ? text.size() : eol + 1;
            if (w.kind == "http" ? line.find(probe_user) != std::string::npos
                                 : std::regex_search(line, w.pattern)) {
                for (auto at = line.find(password); at != std::string::npos;
                     at = line.find(password))
                    line.replace(at, password.size(), "<redacted>");
                w.found_line = line.substr(0, 300);
                return true;
            }
        }
        if (std::chrono::steady_clock::now() >= end || ctx.stop()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
}

Finding check_logged(const CheckContext& ctx) {
    LoginSpec s;
    std::string why;
    if (!login_spec(ctx, s, why)) return finding(logged_check, ctx, Status::skip, why);
    const Json& pol = ctx.target.policy;
    if (!pol.contains("logs") || !pol["logs"].is_object())
        return finding(logged_check, ctx, Status::skip,
                       "the policy gives no \"logs\" to look for the refused login in");
    const Json& log = pol["logs"];
    Json ev = {{"url", s.url_text}, {"kind", s.kind}, {"user", probe_user}};
    Json log_ev = {{"kind", log.value("kind", std::string())}};
    for (const char* k : {"path", "unit", "url", "pattern"})
        if (log.contains(k)) log_ev[k] = log[k];
    ev["log"] = log_ev;
    auto window = parse_duration(log.value("window", std::string("30s")));
    if (!window)
        return finding(logged_check, ctx, Status::error,
                       "logs.window must be a duration like \"30s\"", ev);
    ev["window"] = log.value("window", std::string("30s"));
    LogWatch w;
    if (!prepare_watch(ctx, log, w, why)) return finding(logged_check, ctx, Status::error, why, ev);
    if (std::string p = baseline_problem(s, ctx.timeout); !p.empty())
        return finding(logged_check, ctx, Status::error, p + "; no bad login tried", ev);

    std::string password = random_password();
    Attempt a = try_login(s, probe_user, password, ctx.timeout);
    ev["attempt"] = attempt_evidence(a);
    if (a.verdict == Verdict::unclear) {
        std::fill(password.begin(), password.end(), '\0');
        return finding(logged_check, ctx, Status::error,
                       "cannot tell whether the bad login was refused: " + a.why, ev);
    }
    if (a.verdict == Verdict::accepted) {
        std::fill(password.begin(), password.end(), '\0');
        return finding(logged_check, ctx, Status::fail,
                       "a login as \"" + std::string(probe_user) +
                           "\" with a random password was accepted at " + s.url_text,
                       ev);
    }
    const bool read = watch_for(w, ctx, *window, password);
    std::fill(password.begin(), password.end(), '\0');
    if (!read) return finding(logged_check, ctx, Status::error, w.error, ev);
    ev["found"] = !w.found_line.empty();
    if (!w.found_line.empty()) ev["line"] = w.found_line;
    if (w.password_logged) {
        ev["password_logged"] = true;
        return finding(logged_check, ctx, Status::fail,
                       "the bad login was refused and logged, but the log records the password "
                       "that was tried",
                       ev);
    }
    const std::string where = w.kind == "file"      ? w.path
                              : w.kind == "journal" ? std::string("the journal")
                                                    : log.value("url", std::string());
    if (w.found_line.empty())
        return finding(logged_check, ctx, Status::fail,
                       "the bad login was refused (status " + std::to_string(a.response.status) +
                           ") but did not appear in " + where + " within " +
                           ev["window"].get<std::string>(),
                       ev);
    return finding(logged_check, ctx, Status::pass,
                   "the bad login was refused (status " + std::to_string(a.response.status) +
                       ") and logged in " + where,
                   ev);
}

std::vector<Finding> run(const CheckContext& ctx) {
    std::vector<Finding> out;
    if (ctx.wanted(defaults_check.id)) out.push_back(check_defaults(ctx));
    if (ctx.stop()) return out;
    if (ctx.wanted(logged_check.id)) out.push_back(check_logged(ctx));
    return out;
}

}  // namespace

Family login_family() {
    return {"login", checks, run};
}

}  // namespace dce::audit
