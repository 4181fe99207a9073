#pragma once
// The audit policy (JSON): the site's targets and, per role, what each must look like.
//
//     {
//       "name": "site",
//       "try_default_logins": false,          // only then are vendor default logins tried
//       "firmware_minimum": {"AP9631": "6.8.0"},
//       "roles": {"device": {...}, "dce-server": {...}},   // defaults per role
//       "targets": [
//         {"address": "10.20.0.5", "name": "ups-1", "role": "device",
//          "ports": {"open": ["tcp/443", "udp/161"], "denied": ["tcp/23"]},
//          "web": {...}, "ssh": {...}, "snmp": {...}, ...}   // overrides the role's keys
//       ]
//     }
//
// A target's effective policy is its role's object deep-merged with its own keys (the
// target wins). The built-in default (default_policy.cpp) holds the handbook's roles.
// docs/AUDIT.md describes every key.

#include "audit/audit.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace dce::audit {

std::string_view default_policy_text();

/// Reads a policy file (or the built-in default when `path` is empty). False with an
/// error naming the file, the line, and what is wrong.
bool load_policy(const std::string& path, Policy& out, std::string& error);

/// A target from the command line or a device record, with `role`'s defaults from the
/// policy. False when the role does not exist.
bool add_target(Policy& policy, const std::string& address, const std::string& role,
                const Json& device, std::string& error);

/// `base` with `over` merged in: objects merge key by key, anything else replaces.
Json deep_merge(const Json& base, const Json& over);

}  // namespace dce::audit
