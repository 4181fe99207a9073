// The built-in policy: the DCE security handbook's port table ("Network Protocol and
// Ports": what is inbound, what is outbound only, PostgreSQL local only) and its device
// advice (HTTPS only, SSH off, no Telnet/FTP, SNMPv3 rather than v1/v2c). `dce-audit policy
// --default` prints it to start a site policy from.
#include "audit/policy.hpp"

namespace dce::audit {

std::string_view default_policy_text() {
    return R"json(
{
  "name": "DCE security handbook defaults",
  "reference": "DCE security handbook: Network Protocol and Ports; Validate security settings",
  "try_default_logins": false,
  "firmware_minimum": {},
  "roles": {
    "dce-server": {
      "ports": {
        "open": ["tcp/443", "udp/162"],
        "denied": ["tcp/21", "tcp/22", "tcp/23", "tcp/25", "tcp/53", "tcp/111", "tcp/139",
                   "tcp/389", "tcp/445", "tcp/502", "tcp/636", "tcp/2049", "tcp/5432",
                   "tcp/6000", "udp/123"]
      },
      "web": {"https_port": 443, "http_port": 80, "http": "redirect", "hsts": true},
      "ssh": {"expected": false, "port": 22},
      "telnet": {"port": 23},
      "ftp": {"expected": false, "port": 21},
      "modbus": {"expected": false, "port": 502}
    },
    "device": {
      "ports": {
        "open": ["tcp/443", "udp/161"],
        "denied": ["tcp/21", "tcp/23"]
      },
      "web": {"https_port": 443, "http_port": 80, "http": "redirect", "hsts": true},
      "ssh": {"expected": false, "port": 22},
      "telnet": {"port": 23},
      "ftp": {"expected": false, "port": 21},
      "snmp": {"port": 161, "v1v2c": false, "communities": ["public", "private"]},
      "modbus": {"expected": false, "port": 502}
    }
  },
  "targets": []
}
)json";
}

}  // namespace dce::audit
