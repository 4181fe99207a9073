#pragma once
// Turns `finding` (and `error`) records into the formats CI systems and people read:
// a text table, JUnit XML and SARIF 2.1.0. A reusable component: dce-cert writes it
// now, dce-audit and others later, so it knows nothing of TLS or SNMP — a tool tells it
// about its checks (RuleInfo) and where its targets came from (TargetOrigin).
//
// Formats follow the consumers' documented expectations (REFERENCE.md "CI result
// formats"): JUnit has one testcase per finding with classname = target, name = check,
// at most one of failure/error/skipped; SARIF has one rule per check id, stable
// partialFingerprints, and a physical location (inventory file line) when the target
// came from a file, else a logical location.

#include "core/record.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dce::report {

enum class Format { json, text, junit, sarif };

/// Parses "json", "text", "junit", "sarif".
std::optional<Format> parse_format(std::string_view name);

/// What a tool says about one of its checks; becomes a SARIF rule.
struct RuleInfo {
    std::string id;                 ///< stable check id, e.g. "cert.self-signed"
    std::string name;               ///< CamelCase name for SARIF, e.g. "SelfSignedCertificate"
    std::string short_description;  ///< one line
    std::string help;               ///< what to do about it
    std::string reference;          ///< handbook or standard
    std::string default_severity = "medium";  ///< info|low|medium|high|critical
};

/// Where a target was named: a line of an inventory file (SARIF physicalLocation).
struct TargetOrigin {
    std::string uri;  ///< path as given, made relative where possible
    int line = 0;     ///< 1-based
};

struct ToolInfo {
    std::string name;
    std::string version;
    std::string information_uri;
};

/// Collects findings and errors, then renders them in one go (JUnit and SARIF are
/// documents, not streams).
class Report {
  public:
    explicit Report(ToolInfo tool) : tool_(std::move(tool)) {}

    void add_rule(RuleInfo rule);
    void set_origin(const std::string& target, TargetOrigin origin);

    /// Accepts a `finding` or an `error` record; other records are ignored (false).
    bool add(const Json& record);

    std::size_t size() const { return items_.size(); }
    bool any_fail() const;

    /// Renders the collected records. `text` is a table for a terminal.
    std::string render(Format format) const;
    std::string render_text() const;
    std::string render_junit() const;
    std::string render_sarif() const;

  private:
    struct Item {
        std::string target, check, status, severity, message, reference;
        Json evidence;
        bool is_error = false;  ///< an `error` record: the target could not be checked
    };
    const RuleInfo* rule(const std::string& id) const;

    ToolInfo tool_;
    std::vector<RuleInfo> rules_;
    std::map<std::string, TargetOrigin> origins_;
    std::vector<Item> items_;
};

/// XML 1.0 text/attribute escaping; drops characters XML 1.0 cannot carry.
std::string xml_escape(std::string_view s);

/// SARIF level for a finding status ("fail" -> "error", "warn" -> "warning", ...).
std::string_view sarif_level(std::string_view status, std::string_view severity);

}  // namespace dce::report
