#pragma once
// The API's requests and responses without Boost.Beast: the router, the OAuth2
// endpoints and the data endpoints see only these, so they are unit-tested and fuzzed
// without sockets; lib/api/server.cpp converts to and from Beast's messages.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dce::api {

/// Query or form parameters, in order; a name may repeat (?device=a&device=b).
using Params = std::vector<std::pair<std::string, std::string>>;

struct Request {
    std::string method;  ///< GET, POST, ...
    std::string target;  ///< as sent: path and query string
    std::string path;    ///< decoded path, without the query
    Params query;
    std::map<std::string, std::string> headers;  ///< names lower-cased
    std::string body;
    std::string peer;  ///< client address, for the log

    std::optional<std::string> header(std::string_view name) const;
    /// First value of a query parameter.
    std::optional<std::string> param(std::string_view name) const;
    std::vector<std::string> params(std::string_view name) const;
};

struct Response {
    int status = 200;
    std::string content_type = "application/json";
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    /// Who made the request once authenticated (client name), for the log; never a secret.
    std::string client;
};

/// RFC 9457 problem details: application/problem+json with type, title, status, detail.
Response problem(int status, std::string_view title, std::string_view detail = {});

/// Splits "path?query" and percent-decodes both (application/x-www-form-urlencoded rules
/// for the query: '+' is a space). False with a reason for bad escapes, NUL bytes, a path
/// that is not absolute, or more than `max_params` parameters.
bool parse_target(std::string_view target, std::string& path, Params& query, std::string& error,
                  std::size_t max_params = 100);
/// Parses an application/x-www-form-urlencoded body (the token endpoint's).
bool parse_form(std::string_view body, Params& out, std::string& error,
                std::size_t max_params = 100);
/// Percent-decoding; `plus_is_space` for form encoding.
bool percent_decode(std::string_view in, std::string& out, bool plus_is_space);

/// The standard reason phrase for the status codes the API uses.
std::string_view status_title(int status);

}  // namespace dce::api
