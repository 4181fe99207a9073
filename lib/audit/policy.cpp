#include "audit/policy.hpp"

#include "core/files.hpp"

#include <algorithm>

namespace dce::audit {

Json deep_merge(const Json& base, const Json& over) {
    if (!base.is_object() || !over.is_object()) return over;
    Json out = base;
    for (auto it = over.begin(); it != over.end(); ++it) {
        if (out.contains(it.key()))
            out[it.key()] = deep_merge(out[it.key()], it.value());
        else
            out[it.key()] = it.value();
    }
    return out;
}

namespace {

/// The line (1-based) of the first `"address": "<address>"` in the text: where SARIF
/// anchors a finding about that target. 0 when not found.
int line_of_address(std::string_view text, const std::string& address) {
    std::string needle = "\"" + address + "\"";
    std::size_t from = text.find("\"targets\"");
    if (from == std::string_view::npos) from = 0;
    for (std::size_t at = text.find(needle, from); at != std::string_view::npos;
         at = text.find(needle, at + 1)) {
        // The value of an "address" key: the key sits before it on the same line.
        std::size_t line_start = text.rfind('\n', at);
        line_start = line_start == std::string_view::npos ? 0 : line_start + 1;
        if (text.substr(line_start, at - line_start).find("\"address\"") == std::string_view::npos)
            continue;
        return static_cast<int>(std::count(text.begin(), text.begin() + at, '\n')) + 1;
    }
    return 0;
}

bool make_target(Policy& policy, const Json& spec, const Json& device, std::string& error) {
    Target t;
    if (!spec.is_object() || !spec.contains("address") || !spec["address"].is_string() ||
        spec["address"].get<std::string>().empty()) {
        error = "a target needs an \"address\" (string)";
        return false;
    }
    t.address = spec["address"].get<std::string>();
    t.name = spec.value("name", t.address);
    const std::string role = spec.value("role", std::string("device"));
    const Json& roles = policy.doc.contains("roles") ? policy.doc["roles"] : Json::object();
    if (!roles.contains(role)) {
        error = "target " + t.name + ": no role \"" + role + "\" in the policy's \"roles\"";
        return false;
    }
    Json own = spec;
    own.erase("address");
    own.erase("name");
    t.policy = deep_merge(roles[role], own);
    t.policy["role"] = role;
    t.device = device;
    policy.targets.push_back(std::move(t));
    return true;
}

}  // namespace

bool load_policy(const std::string& path, Policy& out, std::string& error) {
    std::string text;
    if (path.empty()) {
        text = std::string(default_policy_text());
    } else if (!read_file_capped(path, 16u << 20, text, error)) {
        return false;
    }
    out = Policy{};
    out.path = path;
    const std::string origin = path.empty() ? "built-in policy" : path;
    try {
        out.doc = Json::parse(text);
    } catch (const Json::parse_error& e) {
        // nlohmann says "at line L, column C": keep its words, name the file.
        error = origin + ": not valid JSON: " + e.what();
        return false;
    }
    if (!out.doc.is_object()) {
        error = origin + ": a policy is a JSON object";
        return false;
    }
    if (!path.empty()) {
        // A site policy builds on the built-in roles: its own roles override them.
        Json base = Json::parse(default_policy_text());
        out.doc["roles"] = deep_merge(base["roles"], out.doc.value("roles", Json::object()));
    }
    if (!out.doc["roles"].is_object()) {
        error = origin + ": \"roles\" must be an object";
        return false;
    }
    const Json targets = out.doc.value("targets", Json::array());
    if (!targets.is_array()) {
        error = origin + ": \"targets\" must be an array";
        return false;
    }
    for (std::size_t i = 0; i < targets.size(); ++i) {
        std::string why;
        if (!make_target(out, targets[i], nullptr, why)) {
            int line = targets[i].is_object() && targets[i].contains("address") &&
                               targets[i]["address"].is_string()
                           ? line_of_address(text, targets[i]["address"].get<std::string>())
                           : 0;
            error = origin + (line ? ":" + std::to_string(line) : std::string()) + ": targets[" +
                    std::to_string(i) + "]: " + why;
            return false;
        }
        out.targets.back().line = line_of_address(text, out.targets.back().address);
    }
    return true;
}

bool add_target(Policy& policy, const std::string& address, const std::string& role,
                const Json& device, std::string& error) {
    Json spec = {{"address", address}, {"role", role}};
    return make_target(policy, spec, device, error);
}

}  // namespace dce::audit
