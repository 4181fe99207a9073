// Target and form parsing, and problem+json bodies (http.hpp).
#include "api/http.hpp"

#include "core/record.hpp"

#include <algorithm>

namespace dce::api {
namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::optional<std::string> Request::header(std::string_view name) const {
    auto it = headers.find(std::string(name));
    if (it == headers.end()) return std::nullopt;
    return it->second;
}

std::optional<std::string> Request::param(std::string_view name) const {
    for (const auto& [k, v] : query)
        if (k == name) return v;
    return std::nullopt;
}

std::vector<std::string> Request::params(std::string_view name) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : query)
        if (k == name) out.push_back(v);
    return out;
}

bool percent_decode(std::string_view in, std::string& out, bool plus_is_space) {
    out.clear();
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c == '%') {
            if (i + 2 >= in.size()) return false;
            int hi = hex_digit(in[i + 1]), lo = hex_digit(in[i + 2]);
            if (hi < 0 || lo < 0) return false;
            c = static_cast<char>(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        if (c == '\0') return false;
        out.push_back(c);
    }
    return true;
}

bool parse_form(std::string_view body, Params& out, std::string& error, std::size_t max_params) {
    out.clear();
    while (!body.empty()) {
        auto amp = body.find('&');
        std::string_view pair = body.substr(0, amp);
        body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
        if (pair.empty()) continue;
        if (out.size() >= max_params) {
            error = "more than " + std::to_string(max_params) + " parameters";
            return false;
        }
        auto eq = pair.find('=');
        std::string name, value;
        if (!percent_decode(pair.substr(0, eq), name, true) ||
            (eq != std::string_view::npos && !percent_decode(pair.substr(eq + 1), value, true))) {
            error = "bad percent-encoding in parameter";
            return false;
        }
        if (name.empty()) {
            error = "parameter without a name";
            return false;
        }
        out.emplace_back(std::move(name), std::move(value));
    }
    return true;
}

bool parse_target(std::string_view target, std::string& path, Params& query, std::string& error,
                  std::size_t max_params) {
    auto q = target.find('?');
    auto raw_path = target.substr(0, q);
    if (raw_path.empty() || raw_path.front() != '/') {
        error = "the request target must be an absolute path";
        return false;
    }
    if (!percent_decode(raw_path, path, false)) {
        error = "bad percent-encoding in the path";
        return false;
    }
    query.clear();
    if (q == std::string_view::npos) return true;
    return parse_form(target.substr(q + 1), query, error, max_params);
}

std::string_view status_title(int status) {
    switch (status) {
        case 200:
            return "OK";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 406:
            return "Not Acceptable";
        case 408:
            return "Request Timeout";
        case 413:
            return "Content Too Large";
        case 415:
            return "Unsupported Media Type";
        case 429:
            return "Too Many Requests";
        case 431:
            return "Request Header Fields Too Large";
        case 500:
            return "Internal Server Error";
        case 503:
            return "Service Unavailable";
        default:
            return "Error";
    }
}

Response problem(int status, std::string_view title, std::string_view detail) {
    Json j{{"type", "about:blank"},
           {"title", title.empty() ? status_title(status) : title},
           {"status", status}};
    if (!detail.empty()) j["detail"] = detail;
    Response r;
    r.status = status;
    r.content_type = "application/problem+json";
    // The detail may quote request bytes that are not UTF-8: replace them, never throw.
    r.body = j.dump(-1, ' ', false, Json::error_handler_t::replace);
    return r;
}

}  // namespace dce::api
