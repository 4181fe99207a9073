#pragma once
// What a web server says about itself, and what dce-discover concludes from it: NetBotz
// appliances and APC/Schneider network management cards by their Server banner, page
// title, page text and certificate. Pure functions over facts already fetched, so the
// rules (one table in http_identify.cpp) are unit-tested without a network.

#include <string>
#include <string_view>
#include <vector>

namespace dce::discover {

struct HttpFacts {
    std::string server;                     ///< Server header
    std::string title;                      ///< <title> of the first page that had one
    std::string text;                       ///< the pages' text, tags removed, capped
    std::string location;                   ///< Location of the front page's redirect, if any
    std::string cert_subject, cert_issuer;  ///< RFC 2253, empty over plain HTTP
    std::string cert_subject_cn;
    std::vector<std::string> cert_subject_ou;
    bool cert_self_issued = false;
};

struct HttpIdentity {
    std::string family;  ///< "netbotz", "apc-nmc", or empty
    std::string vendor, model, serial, firmware;
    std::string device_class = "unknown";
    std::vector<std::string> reasons;  ///< which rules matched, for the record
};

HttpIdentity identify_http(const HttpFacts& facts);

/// The <title> of an HTML page, whitespace folded and entities &amp; &lt; &gt; undone.
std::string html_title(std::string_view html);
/// The page's text: tags become line breaks, scripts and styles dropped, capped.
std::string html_text(std::string_view html, std::size_t cap = 16384);

}  // namespace dce::discover
