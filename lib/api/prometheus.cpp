// The Prometheus-compatible subset (prometheus.hpp, docs/API.md).
#include "api/prometheus.hpp"

#include "api/params.hpp"

#include "api/endpoints.hpp"
#include "core/metrics.hpp"
#include "core/time.hpp"

#include <re2/re2.h>
#include <spdlog/spdlog.h>
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <limits>
#include <unordered_map>

namespace dce::api::prom {

// ---- selector parsing -----------------------------------------------------------------
namespace {

bool is_name_start(char c, bool metric) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (metric && c == ':');
}
bool is_name_char(char c, bool metric) {
    return is_name_start(c, metric) || (c >= '0' && c <= '9');
}

struct Lexer {
    std::string_view s;
    std::size_t i = 0;
    void skip_space() {
        while (i < s.size()) {
            char c = s[i];
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                ++i;
            } else if (c == '#') {  // PromQL comments run to the end of the line
                while (i < s.size() && s[i] != '\n')
                    ++i;
            } else {
                break;
            }
        }
    }
    bool eof() {
        skip_space();
        return i >= s.size();
    }
    char peek() { return eof() ? '\0' : s[i]; }
    std::string name(bool metric) {
        skip_space();
        std::size_t b = i;
        if (i < s.size() && is_name_start(s[i], metric)) {
            ++i;
            while (i < s.size() && is_name_char(s[i], metric))
                ++i;
        }
        return std::string(s.substr(b, i - b));
    }
    std::string where() const { return "at character " + std::to_string(i + 1); }
};

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

void put_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// A PromQL string: "..." or '...' with Go's escapes (\a \b \f \n \r \t \v \\, the
// opening quote, \xHH, \ooo, \uHHHH, \UHHHHHHHH), or `...` raw.
bool read_string(Lexer& lx, std::string& out, std::string& error) {
    lx.skip_space();
    if (lx.i >= lx.s.size()) return error = "expected a quoted label value, found the end", false;
    char q = lx.s[lx.i];
    if (q != '"' && q != '\'' && q != '`')
        return error = "expected a quoted label value " + lx.where(), false;
    ++lx.i;
    out.clear();
    const std::string_view s = lx.s;
    while (true) {
        if (lx.i >= s.size()) return error = "unterminated string", false;
        char c = s[lx.i++];
        if (c == q) return true;
        if (q == '`') {
            out += c;
            continue;
        }
        if (c == '\n') return error = "newline in a quoted string", false;
        if (c != '\\') {
            out += c;
            continue;
        }
        if (lx.i >= s.size()) return error = "unterminated string", false;
        char e = s[lx.i++];
        switch (e) {
            case 'a':
                out += '\a';
                break;
            case 'b':
                out += '\b';
                break;
            case 'f':
                out += '\f';
                break;
            case 'n':
                out += '\n';
                break;
            case 'r':
                out += '\r';
                break;
            case 't':
                out += '\t';
                break;
            case 'v':
                out += '\v';
                break;
            case '\\':
                out += '\\';
                break;
            case 'x':
            case 'u':
            case 'U': {
                std::size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                if (lx.i + n > s.size()) return error = "short escape sequence in a string", false;
                std::uint32_t v = 0;
                for (std::size_t k = 0; k < n; ++k) {
                    int d = hex_digit(s[lx.i + k]);
                    if (d < 0) return error = "bad hexadecimal escape in a string", false;
                    v = v * 16 + static_cast<std::uint32_t>(d);
                }
                lx.i += n;
                if (e == 'x') {
                    out += static_cast<char>(v);
                } else {
                    if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
                        return error = "escape names an invalid Unicode code point", false;
                    put_utf8(out, v);
                }
                break;
            }
            default:
                if (e == q) {
                    out += e;
                } else if (e >= '0' && e <= '7') {
                    if (lx.i + 2 > s.size()) return error = "short octal escape in a string", false;
                    unsigned v = static_cast<unsigned>(e - '0');
                    for (int k = 0; k < 2; ++k) {
                        char o = s[lx.i++];
                        if (o < '0' || o > '7')
                            return error = "bad octal escape in a string", false;
                        v = v * 8 + static_cast<unsigned>(o - '0');
                    }
                    if (v > 255) return error = "octal escape above \\377 in a string", false;
                    out += static_cast<char>(v);
                } else {
                    return error = std::string("unknown escape sequence \\") + e + " in a string",
                           false;
                }
        }
    }
}

const char* unsupported =
    "only series selectors are supported (metric{label=\"value\"}): no functions, "
    "operators, range vectors or modifiers";

}  // namespace

bool Matcher::matches(std::string_view v) const {
    switch (op) {
        case MatchOp::eq:
            return v == value;
        case MatchOp::ne:
            return v != value;
        case MatchOp::re:
        case MatchOp::nre: {
            bool m = re && re2::RE2::FullMatch(re2::StringPiece(v.data(), v.size()), *re);
            return op == MatchOp::re ? m : !m;
        }
    }
    return false;
}

bool Selector::matches(const LabelSet& labels) const {
    static const std::string empty;
    for (const auto& m : matchers) {
        auto it = labels.find(m.name);
        if (!m.matches(it == labels.end() ? empty : it->second)) return false;
    }
    return true;
}

bool parse_selector(std::string_view text, Selector& out, std::string& error) {
    out.matchers.clear();
    if (text.size() > max_query_bytes)
        return error = "query longer than " + std::to_string(max_query_bytes) + " bytes", false;
    Lexer lx{text};
    if (lx.eof()) return error = "empty query", false;
    std::string metric = lx.name(true);
    if (!metric.empty()) {
        if (lx.peek() == '(')
            return error = std::string(unsupported) + " (" + metric + "(...))", false;
        out.matchers.push_back({"__name__", MatchOp::eq, metric, nullptr});
    }
    if (lx.peek() == '{') {
        ++lx.i;
        while (true) {
            if (lx.peek() == '}') {
                ++lx.i;
                break;
            }
            std::string name = lx.name(false);
            if (name.empty()) return error = "expected a label name " + lx.where(), false;
            if (!metric.empty() && name == "__name__")
                return error = "metric name must not be set twice", false;
            Matcher m;
            m.name = name;
            lx.skip_space();
            std::string_view rest = text.substr(std::min(lx.i, text.size()));
            if (rest.substr(0, 2) == "!=") {
                m.op = MatchOp::ne, lx.i += 2;
            } else if (rest.substr(0, 2) == "=~") {
                m.op = MatchOp::re, lx.i += 2;
            } else if (rest.substr(0, 2) == "!~") {
                m.op = MatchOp::nre, lx.i += 2;
            } else if (rest.substr(0, 1) == "=") {
                m.op = MatchOp::eq, lx.i += 1;
            } else {
                return error = "expected =, !=, =~ or !~ after " + name + " " + lx.where(), false;
            }
            if (!read_string(lx, m.value, error)) return false;
            if (m.op == MatchOp::re || m.op == MatchOp::nre) {
                if (m.value.size() > max_regex_bytes)
                    return error = "regular expression longer than " +
                                   std::to_string(max_regex_bytes) + " bytes",
                           false;
                // RE2 (as Prometheus's Go regexp): linear time in the subject, no
                // backtracking, so no selector can keep a worker busy; max_mem bounds the
                // compiled program, and RE2 itself refuses repetition counts over 1000.
                re2::RE2::Options opts;
                opts.set_log_errors(false);
                opts.set_max_mem(max_regex_program_bytes);
                auto re = std::make_shared<const re2::RE2>(m.value, opts);
                if (!re->ok())
                    return error = "invalid regular expression for " + name + ": " + re->error(),
                           false;
                m.re = std::move(re);
            }
            out.matchers.push_back(std::move(m));
            if (out.matchers.size() > max_matchers)
                return error = "more than " + std::to_string(max_matchers) + " matchers", false;
            char c = lx.peek();
            if (c == ',') {
                ++lx.i;
            } else if (c != '}') {
                return error = "expected , or } " + lx.where(), false;
            }
        }
    } else if (metric.empty()) {
        return error = std::string(unsupported) + " (unexpected input " + lx.where() + ")", false;
    }
    if (!lx.eof()) {
        char c = lx.peek();
        if (c == '[') return error = std::string(unsupported) + " (range vector)", false;
        return error = std::string(unsupported) + " (unexpected input " + lx.where() + ")", false;
    }
    bool selective = false;
    for (const auto& m : out.matchers)
        selective = selective || !m.matches("");
    if (!selective)
        return error = "vector selector must contain at least one non-empty matcher", false;
    return true;
}

// ---- number-literal arithmetic ----------------------------------------------------------
namespace {
struct Calc {
    std::string_view s;
    std::size_t i = 0;
    int depth = 0;
    void ws() {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
            ++i;
    }
    bool expr(double& v) {
        if (++depth > 64) return false;
        if (!term(v)) return false;
        for (ws(); i < s.size() && (s[i] == '+' || s[i] == '-'); ws()) {
            char op = s[i++];
            double r;
            if (!term(r)) return false;
            v = op == '+' ? v + r : v - r;
        }
        --depth;
        return true;
    }
    bool term(double& v) {
        if (!unary(v)) return false;
        for (ws(); i < s.size() && (s[i] == '*' || s[i] == '/' || s[i] == '%'); ws()) {
            char op = s[i++];
            double r;
            if (!unary(r)) return false;
            v = op == '*' ? v * r : op == '/' ? v / r : std::fmod(v, r);
        }
        return true;
    }
    bool unary(double& v) {
        ws();
        if (i < s.size() && (s[i] == '-' || s[i] == '+')) {
            char op = s[i++];
            if (++depth > 64 || !unary(v)) return false;
            --depth;
            if (op == '-') v = -v;
            return true;
        }
        if (i < s.size() && s[i] == '(') {
            ++i;
            if (!expr(v)) return false;
            ws();
            if (i >= s.size() || s[i] != ')') return false;
            ++i;
            return true;
        }
        if (i >= s.size() || !((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) return false;
        auto [p, ec] = std::from_chars(s.data() + i, s.data() + s.size(), v);
        if (ec != std::errc{}) return false;
        i = static_cast<std::size_t>(p - s.data());
        return true;
    }
};
}  // namespace

std::optional<double> parse_scalar(std::string_view text) {
    if (text.size() > max_query_bytes) return std::nullopt;
    Calc c{text};
    double v = 0;
    if (!c.expr(v)) return std::nullopt;
    c.ws();
    if (c.i != text.size()) return std::nullopt;
    return v;
}

// ---- names and values -----------------------------------------------------------------
std::string metric_name(std::string_view stored_metric) {
    return "dce_" + metrics::sanitize_name(stored_metric);
}

LabelSet labels_of(const Json& r) {
    LabelSet l;
    auto text = [](const Json& j, const char* k) {
        auto it = j.find(k);
        return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    l["__name__"] = metric_name(text(r, "metric"));
    l["device"] = text(r, "device");
    if (std::string site = text(r, "site"); !site.empty()) l["site"] = site;
    auto put = [&l](std::string key, std::string value) {
        key = metrics::sanitize_name(key);
        if (key.empty() || (key[0] >= '0' && key[0] <= '9')) key = "_" + key;
        if (l.count(key) || key == "dce_metric") key = "exported_" + key;
        if (!l.count(key)) l[key] = std::move(value);
    };
    if (auto it = r.find("labels"); it != r.end() && it->is_object())
        for (auto kv = it->begin(); kv != it->end(); ++kv)
            put(kv.key(), kv->is_string() ? kv->get<std::string>() : kv->dump());
    auto v = r.find("value");
    auto raw = r.find("raw");
    if (v != r.end() && v->is_string() && raw != r.end() && raw->is_number())
        put("state", v->get<std::string>());
    return l;
}

std::optional<double> value_of(const Json& r) {
    auto v = r.find("value");
    if (v == r.end()) return std::nullopt;
    if (v->is_number()) return v->get<double>();
    if (v->is_boolean()) return v->get<bool>() ? 1.0 : 0.0;
    auto raw = r.find("raw");
    if (v->is_string() && raw != r.end() && raw->is_number()) return raw->get<double>();
    return std::nullopt;
}

// ---- the series catalogue ---------------------------------------------------------------
namespace {

std::string key_of(const LabelSet& l) {
    std::string k;
    for (const auto& [n, v] : l) {
        k += n;
        k += '\0';
        k += v;
        k += '\0';
    }
    return k;
}

// Every series of a site, to resolve names: the mapping from stored metrics to
// Prometheus names is not injective (`a.b` and `a_b` are both `dce_a_b`), so label sets
// that more than one stored metric produces get `dce_metric` to keep them apart.
struct Catalog {
    struct Entry {
        LabelSet labels;  // with dce_metric when needed
        std::string device, metric;
    };
    std::vector<Entry> entries;
    std::set<std::string> colliding;  // key_of(labels without dce_metric)

    LabelSet full(const Json& rec) const {
        LabelSet l = labels_of(rec);
        if (!colliding.empty() && colliding.count(key_of(l))) {
            auto it = rec.find("metric");
            l["dce_metric"] = it != rec.end() && it->is_string() ? it->get<std::string>() : "";
        }
        return l;
    }
};

// Narrows a catalog query by the selector's `__name__` and `device` matchers, so a query
// for one metric does not list every series of the site. Twins (one Prometheus name from
// two stored metrics) pass the same `__name__` matchers, so every metric that could
// collide with a match is still loaded. False in `any` when nothing can match.
bool narrow(store::Db& db, const std::optional<std::string>& site, const Selector* sel,
            store::Query& q, bool& any, std::string& error) {
    any = true;
    if (!sel) return true;
    bool by_name = false;
    for (const auto& m : sel->matchers) {
        if (m.name == "device" && m.op == MatchOp::eq) q.devices = {m.value};
        by_name = by_name || m.name == "__name__";
    }
    if (!by_name) return true;
    std::vector<std::string> stored;
    if (!store::list_metrics(db, site, stored, error)) return false;
    for (const auto& metric : stored) {
        if (metric.find('*') != std::string::npos) {  // would be a wildcard to the store
            q.metrics.clear();
            return true;
        }
        std::string name = metric_name(metric);
        bool ok = true;
        for (const auto& m : sel->matchers)
            ok = ok && (m.name != "__name__" || m.matches(name));
        if (ok) q.metrics.push_back(metric);
    }
    any = !q.metrics.empty();
    return true;
}

bool load_catalog(store::Db& db, const std::optional<std::string>& site, const Selector* sel,
                  Catalog& cat, std::string& error) {
    store::Query q;
    q.kind = store::Kind::reading;
    q.site = site;
    q.last = true;
    bool any = true;
    if (!narrow(db, site, sel, q, any, error)) return false;
    if (!any) return true;
    std::vector<Json> recs;
    std::unordered_map<std::string, std::set<std::string>> metrics_of;
    if (!store::run_query(
            db, q,
            [&](const Json& rec) {
                LabelSet l = labels_of(rec);
                metrics_of[key_of(l)].insert(rec.value("metric", ""));
                recs.push_back(rec);
                return true;
            },
            error))
        return false;
    for (const auto& [k, ms] : metrics_of)
        if (ms.size() > 1) cat.colliding.insert(k);
    for (const auto& rec : recs)
        cat.entries.push_back({cat.full(rec), rec.value("device", ""), rec.value("metric", "")});
    return true;
}

std::optional<std::int64_t> record_ms(const Json& rec) {
    auto it = rec.find("ts");
    if (it == rec.end() || !it->is_string()) return std::nullopt;
    auto t = parse_timestamp(it->get<std::string>());
    if (!t) return std::nullopt;
    return std::chrono::duration_cast<std::chrono::milliseconds>(t->time_since_epoch()).count();
}

}  // namespace

bool find_series(store::Db& db, const std::optional<std::string>& site, const Selector* sel,
                 std::optional<std::int64_t> since, std::optional<std::int64_t> until,
                 std::vector<LabelSet>& out, std::string& error) {
    out.clear();
    Catalog cat;
    if (!load_catalog(db, site, sel, cat, error)) return false;
    std::set<LabelSet> found;
    if (!since && !until) {
        for (const auto& e : cat.entries)
            if (!sel || sel->matches(e.labels)) found.insert(e.labels);
    } else {
        // Series with a sample in the range: the newest one within it, per series.
        store::Query q;
        q.kind = store::Kind::reading;
        q.site = site;
        q.last = true;
        q.since = since;
        q.until = until;
        bool any = true;
        if (!narrow(db, site, sel, q, any, error)) return false;
        if (!any) return true;
        if (!store::run_query(
                db, q,
                [&](const Json& rec) {
                    LabelSet l = cat.full(rec);
                    if (!sel || sel->matches(l)) found.insert(std::move(l));
                    return true;
                },
                error))
            return false;
    }
    out.assign(found.begin(), found.end());
    return true;
}

bool check_range(std::int64_t start, std::int64_t end, std::int64_t step, const EvalOptions& o,
                 EvalError& err) {
    if (end < start) return err.message = "end timestamp must not be before start time", false;
    if (step <= 0)
        return err.message =
                   "zero or negative query resolution step widths are not accepted. "
                   "Try a positive integer",
               false;
    if ((end - start) / step > o.max_steps)
        return err.message = "exceeded maximum resolution of " + std::to_string(o.max_steps) +
                             " points per timeseries. Try decreasing the query resolution "
                             "(?step=XX)",
               false;
    return true;
}

bool evaluate(store::Db& db, const std::optional<std::string>& site, const Selector& sel,
              std::int64_t start, std::int64_t end, std::int64_t step, const EvalOptions& o,
              std::vector<Series>& out, EvalError& err) {
    out.clear();
    if (!check_range(start, end, step, o, err)) return false;
    const std::int64_t nsteps = (end - start) / step + 1;

    Catalog cat;
    std::string error;
    auto internal = [&err](const std::string& m) {
        spdlog::error("prometheus query: {}", m);  // the client gets no internals
        err = {"internal", 500, "store query failed"};
        return false;
    };
    if (!load_catalog(db, site, &sel, cat, error)) return internal(error);
    std::set<std::string> devices, metrics;
    for (const auto& e : cat.entries)
        if (sel.matches(e.labels)) devices.insert(e.device), metrics.insert(e.metric);
    if (devices.empty()) return true;

    // The store narrows by device and metric; the selector is applied again to every
    // reading, so a wide IN list can be dropped without changing the answer.
    store::Query q;
    q.kind = store::Kind::reading;
    q.site = site;
    q.since = start - o.lookback_ms;
    q.until = end + 1;
    if (devices.size() <= 256) q.devices.assign(devices.begin(), devices.end());
    bool wildcard = false;
    for (const auto& m : metrics)
        wildcard = wildcard || m.find('*') != std::string::npos;
    if (metrics.size() <= 256 && !wildcard) q.metrics.assign(metrics.begin(), metrics.end());

    struct State {
        LabelSet labels;
        std::vector<Sample> points;
        std::int64_t next = 0;  // next step index to fill
        bool has = false;
        Sample last;
    };
    std::unordered_map<std::string, State> states;
    std::int64_t total = 0;
    bool too_many = false;
    // Fills the steps before `upto` (exclusive) from the newest sample so far.
    auto advance = [&](State& s, std::int64_t upto) {
        while (s.next < nsteps) {
            std::int64_t t = start + s.next * step;
            if (t >= upto) break;
            if (s.has && t - s.last.ts <= o.lookback_ms) {
                if (++total > o.max_points) return too_many = true, false;
                s.points.push_back({t, s.last.value});
            }
            ++s.next;
        }
        return true;
    };
    bool ok = store::run_query(
        db, q,
        [&](const Json& rec) {
            auto v = value_of(rec);
            auto ts = record_ms(rec);
            if (!v || !ts) return true;
            LabelSet l = cat.full(rec);
            if (!sel.matches(l)) return true;
            std::string k = key_of(l);
            auto it = states.find(k);
            if (it == states.end()) {
                it = states.emplace(k, State{}).first;
                it->second.labels = std::move(l);
            }
            State& s = it->second;
            if (!advance(s, *ts)) return false;
            s.has = true;
            s.last = {*ts, *v};
            return true;
        },
        error);
    if (!ok) return internal(error);
    for (auto& [k, s] : states)
        if (!too_many) advance(s, std::numeric_limits<std::int64_t>::max());
    if (too_many) {
        err = {"execution", 422,
               "query would return more than " + std::to_string(o.max_points) +
                   " points; narrow the selector or the range, or widen the step"};
        return false;
    }
    for (auto& [k, s] : states)
        if (!s.points.empty()) out.push_back({std::move(s.labels), std::move(s.points)});
    std::sort(out.begin(), out.end(),
              [](const Series& a, const Series& b) { return a.labels < b.labels; });
    return true;
}

// ---- times, durations, numbers ------------------------------------------------------------
std::optional<std::int64_t> parse_time(std::string_view text) {
    std::string why;
    return parse_time_ms(text, why);
}

std::optional<std::int64_t> parse_step(std::string_view text) {
    std::string why;
    return parse_duration_ms(text, why);
}

std::string format_value(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    char buf[400];
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
    if (ec != std::errc{}) return "NaN";
    return std::string(buf, p);
}

std::string format_time(std::int64_t ms) {
    std::string sign = ms < 0 ? "-" : "";
    std::uint64_t a = ms < 0 ? 0 - static_cast<std::uint64_t>(ms) : static_cast<std::uint64_t>(ms);
    std::string s = sign + std::to_string(a / 1000);
    if (std::uint64_t f = a % 1000) {
        char buf[8];
        std::snprintf(buf, sizeof buf, ".%03u", static_cast<unsigned>(f));
        std::string frac = buf;
        while (frac.back() == '0')
            frac.pop_back();
        s += frac;
    }
    return s;
}

}  // namespace dce::api::prom

// ---- the routes ---------------------------------------------------------------------------
namespace dce::api {
namespace {

using namespace prom;

Response prom_error(int status, std::string_view type, std::string_view message) {
    Response r;
    r.status = status;
    Json j = Json::object();
    j["status"] = "error";
    j["errorType"] = type;
    j["error"] = message;
    r.body = j.dump(-1, ' ', false, Json::error_handler_t::replace);
    return r;
}

Response prom_ok(const std::string& data_json) {
    Response r;
    r.body = "{\"status\":\"success\",\"data\":" + data_json + "}";
    return r;
}

std::string dump(const Json& j) {
    return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string labels_json(const LabelSet& l) {
    Json j = Json::object();
    for (const auto& [k, v] : l)
        j[k] = v;
    return dump(j);
}

// The request's parameters: the query string and, for POST, the form body (Grafana and
// promtool POST by default), with unknown names refused and single ones not repeated.
struct PromParams {
    Params all;
    std::optional<std::string> one(std::string_view n) const {
        for (const auto& [k, v] : all)
            if (k == n) return v;
        return std::nullopt;
    }
    std::vector<std::string> many(std::string_view n) const {
        std::vector<std::string> out;
        for (const auto& [k, v] : all)
            if (k == n) out.push_back(v);
        return out;
    }
};

std::optional<Response> read_params(const Request& req,
                                    std::initializer_list<std::string_view> single,
                                    std::initializer_list<std::string_view> repeatable,
                                    PromParams& p) {
    p.all = req.query;
    if (req.method == "POST" && !req.body.empty()) {
        Params form;
        std::string error;
        if (!parse_form(req.body, form, error))
            return prom_error(400, "bad_data", "bad form body: " + error);
        p.all.insert(p.all.end(), form.begin(), form.end());
    }
    std::map<std::string, int> seen;
    for (const auto& [k, v] : p.all) {
        bool is_single = false, is_many = false;
        for (auto n : single)
            is_single = is_single || k == n;
        for (auto n : repeatable)
            is_many = is_many || k == n;
        if (!is_single && !is_many) return prom_error(400, "bad_data", "unknown parameter: " + k);
        if (is_single && ++seen[k] > 1)
            return prom_error(400, "bad_data", "parameter given more than once: " + k);
    }
    return std::nullopt;
}

// The site from the one place that decides it (the Prometheus routes take no `site`
// parameter, so a bound client gets its site and an unbound one every site).
std::optional<Response> site_of(const Request& req, const PromParams& p, const Principal& who,
                                std::optional<std::string>& site) {
    Request r = req;
    r.query = p.all;
    std::optional<Response> refused;
    site = site_for(r, who, refused);
    if (refused) return prom_error(refused->status, "bad_data", "site refused");
    return std::nullopt;
}

std::optional<Response> time_param(const PromParams& p, std::string_view name,
                                   std::optional<std::int64_t>& out) {
    out.reset();
    if (auto v = p.one(name)) {
        out = parse_time(*v);
        if (!out)
            return prom_error(400, "bad_data",
                              "invalid parameter \"" + std::string(name) + "\": cannot parse \"" +
                                  *v + "\" to a valid timestamp");
    }
    return std::nullopt;
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

Response eval_error(const EvalError& e) {
    return prom_error(e.status, e.type, e.message);
}

// `limit` on the metadata routes (Prometheus 2.49; newer Grafana sends it): at most that
// many results, 0 or absent for all.
std::optional<Response> read_limit(const PromParams& p, std::size_t& limit) {
    limit = 0;
    auto v = p.one("limit");
    if (!v) return std::nullopt;
    auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), limit);
    if (ec != std::errc{} || end != v->data() + v->size())
        return prom_error(400, "bad_data", "invalid parameter \"limit\": not a number");
    return std::nullopt;
}

// match[] selectors (series, labels, label values).
std::optional<Response> selectors(const PromParams& p, std::vector<Selector>& out) {
    for (const auto& m : p.many("match[]")) {
        Selector s;
        std::string error;
        if (!parse_selector(m, s, error))
            return prom_error(400, "bad_data", "invalid parameter \"match[]\": " + error);
        out.push_back(std::move(s));
    }
    if (out.size() > 32) return prom_error(400, "bad_data", "more than 32 match[] selectors");
    return std::nullopt;
}

// The label sets of the series that any of `sels` matches (all series when empty).
std::optional<Response> matching_series(store::Db& db, const std::optional<std::string>& site,
                                        const std::vector<Selector>& sels, const PromParams& p,
                                        std::vector<LabelSet>& out) {
    std::optional<std::int64_t> start, end;
    if (auto bad = time_param(p, "start", start)) return bad;
    if (auto bad = time_param(p, "end", end)) return bad;
    std::optional<std::int64_t> until;
    if (end) until = *end + 1;
    std::string error;
    std::set<LabelSet> all;
    std::vector<const Selector*> list;
    for (const auto& s : sels)
        list.push_back(&s);
    if (list.empty()) list.push_back(nullptr);
    for (const Selector* s : list) {
        std::vector<LabelSet> found;
        if (!find_series(db, site, s, start, until, found, error))
            return prom_error(500, "internal", "store query failed");
        all.insert(found.begin(), found.end());
    }
    out.assign(all.begin(), all.end());
    return std::nullopt;
}

Response query_handler(store::Db& db, const EvalOptions& o, const Request& req,
                       const Principal& who, bool range) {
    PromParams p;
    if (auto bad = range ? read_params(req, {"query", "start", "end", "step", "timeout"}, {}, p)
                         : read_params(req, {"query", "time", "timeout"}, {}, p))
        return *bad;
    std::optional<std::string> site;
    if (auto bad = site_of(req, p, who, site)) return *bad;
    auto query = p.one("query");
    if (!query) return prom_error(400, "bad_data", "invalid parameter \"query\": missing");
    if (auto t = p.one("timeout"); t && !parse_step(*t))
        return prom_error(400, "bad_data", "invalid parameter \"timeout\": not a duration");
    std::int64_t start, end, step = 1;
    if (range) {
        std::optional<std::int64_t> s, e, st;
        if (auto bad = time_param(p, "start", s)) return *bad;
        if (auto bad = time_param(p, "end", e)) return *bad;
        if (!s) return prom_error(400, "bad_data", "invalid parameter \"start\": missing");
        if (!e) return prom_error(400, "bad_data", "invalid parameter \"end\": missing");
        auto step_text = p.one("step");
        if (!step_text) return prom_error(400, "bad_data", "invalid parameter \"step\": missing");
        st = parse_step(*step_text);
        if (!st)
            return prom_error(400, "bad_data",
                              "invalid parameter \"step\": cannot parse \"" + *step_text +
                                  "\" to a valid duration");
        start = *s, end = *e, step = *st;
    } else {
        std::optional<std::int64_t> t;
        if (auto bad = time_param(p, "time", t)) return *bad;
        start = end = t ? *t : now_ms();
    }

    if (auto scalar = parse_scalar(*query)) {
        // Number-literal arithmetic: Grafana's "Save & test" asks for 1+1.
        if (!range)
            return prom_ok("{\"resultType\":\"scalar\",\"result\":[" + format_time(start) + ",\"" +
                           format_value(*scalar) + "\"]}");
        if (EvalError e; !check_range(start, end, step, o, e)) return eval_error(e);
        std::string vals;
        for (std::int64_t t = start; t <= end; t += step)
            vals += std::string(vals.empty() ? "" : ",") + "[" + format_time(t) + ",\"" +
                    format_value(*scalar) + "\"]";
        return prom_ok("{\"resultType\":\"matrix\",\"result\":[{\"metric\":{},\"values\":[" + vals +
                       "]}]}");
    }
    Selector sel;
    std::string error;
    if (!parse_selector(*query, sel, error))
        return prom_error(400, "bad_data", "invalid parameter \"query\": " + error);
    std::vector<Series> result;
    EvalError e;
    if (!evaluate(db, site, sel, start, end, step, o, result, e)) return eval_error(e);

    std::string body = range ? "{\"resultType\":\"matrix\",\"result\":["
                             : "{\"resultType\":\"vector\",\"result\":[";
    bool first = true;
    for (const auto& s : result) {
        if (!first) body += ',';
        first = false;
        body += "{\"metric\":" + labels_json(s.labels);
        if (range) {
            body += ",\"values\":[";
            for (std::size_t i = 0; i < s.points.size(); ++i) {
                if (i) body += ',';
                body += "[" + format_time(s.points[i].ts) + ",\"" +
                        format_value(s.points[i].value) + "\"]";
            }
            body += "]}";
        } else {
            const Sample& pt = s.points.back();
            body += ",\"value\":[" + format_time(pt.ts) + ",\"" + format_value(pt.value) + "\"]}";
        }
    }
    body += "]}";
    return prom_ok(body);
}

}  // namespace

void add_prometheus_routes(Router& router, store::Db& db, prom::EvalOptions options) {
    for (const char* method : {"GET", "POST"}) {
        router.add({method, "/api/v1/query", "read:readings",
                    [&db, options](const Request& req, const Principal& who) {
                        return query_handler(db, options, req, who, false);
                    },
                    "Prometheus instant query (series selectors only)"});
        router.add({method, "/api/v1/query_range", "read:readings",
                    [&db, options](const Request& req, const Principal& who) {
                        return query_handler(db, options, req, who, true);
                    },
                    "Prometheus range query (series selectors only)"});
        router.add({method, "/api/v1/series", "read:readings",
                    [&db](const Request& req, const Principal& who) {
                        PromParams p;
                        if (auto bad = read_params(req, {"start", "end", "limit"}, {"match[]"}, p))
                            return *bad;
                        std::optional<std::string> site;
                        if (auto bad = site_of(req, p, who, site)) return *bad;
                        std::vector<Selector> sels;
                        if (auto bad = selectors(p, sels)) return *bad;
                        if (sels.empty())
                            return prom_error(400, "bad_data", "no match[] parameter provided");
                        std::size_t limit = 0;
                        if (auto bad = read_limit(p, limit)) return *bad;
                        std::vector<LabelSet> found;
                        if (auto bad = matching_series(db, site, sels, p, found)) return *bad;
                        if (limit && found.size() > limit) found.resize(limit);
                        std::string body = "[";
                        for (std::size_t i = 0; i < found.size(); ++i)
                            body += (i ? "," : "") + labels_json(found[i]);
                        return prom_ok(body + "]");
                    },
                    "Prometheus series metadata: the label sets matching match[]"});
    }
    // Label names and metric names; Grafana's query editor asks for both.
    auto label_route = [&db](bool names) {
        return [&db, names](const Request& req, const Principal& who) {
            PromParams p;
            if (auto bad = read_params(req, {"start", "end", "limit"}, {"match[]"}, p)) return *bad;
            std::optional<std::string> site;
            if (auto bad = site_of(req, p, who, site)) return *bad;
            std::vector<Selector> sels;
            if (auto bad = selectors(p, sels)) return *bad;
            std::size_t limit = 0;
            if (auto bad = read_limit(p, limit)) return *bad;
            std::vector<LabelSet> found;
            if (auto bad = matching_series(db, site, sels, p, found)) return *bad;
            std::set<std::string> out;
            for (const auto& l : found) {
                if (!names) {
                    out.insert(l.at("__name__"));
                    continue;
                }
                for (const auto& [k, v] : l)
                    out.insert(k);
            }
            Json j = Json::array();
            for (const auto& s : out)
                if (!limit || j.size() < limit) j.push_back(s);
            return prom_ok(dump(j));
        };
    };
    router.add(
        {"GET", "/api/v1/labels", "read:readings", label_route(true), "Prometheus label names"});
    router.add({"GET", "/api/v1/label/__name__/values", "read:readings", label_route(false),
                "Prometheus metric names (dce_ + the stored metric, sanitized)"});
    router.add({"GET", "/api/v1/status/buildinfo", "read:readings",
                [](const Request& req, const Principal&) {
                    PromParams p;
                    if (auto bad = read_params(req, {}, {}, p)) return *bad;
                    Json d = Json::object();
                    d["version"] = DCE_VERSION;
                    d["revision"] = "";
                    d["branch"] = "";
                    d["buildUser"] = "";
                    d["buildDate"] = "";
                    d["goVersion"] = "";
                    d["application"] = "dce-store";
                    return prom_ok(dump(d));
                },
                "Prometheus build information (Grafana reads it to detect the server)"});
}

}  // namespace dce::api
