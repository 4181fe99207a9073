#pragma once
// The check families dce-audit runs, each in its own check_<name>.cpp. A family joins
// the audit by one declaration here and one line in families.cpp.

#include "audit/audit.hpp"

namespace dce::audit {

Family ports_family();      ///< check_ports.cpp: denied is denied, open is open
Family web_family();        ///< check_web.cpp: HTTP->HTTPS redirect, HSTS, HTTP off, TLS
Family cert_family();       ///< check_web.cpp: the vendor's default certificate replaced
Family ssh_family();        ///< check_remote.cpp: SSH off unless expected; protocol 2 only
Family cleartext_family();  ///< check_remote.cpp: Telnet and FTP closed, anonymous FTP refused
Family snmp_family();       ///< check_snmp.cpp: default communities, v3 levels refused, authPriv
Family login_family();      ///< check_login.cpp: default logins refused; a refusal is logged
Family firmware_family();   ///< check_firmware.cpp: firmware at the policy's minimum
Family modbus_family();     ///< check_firmware.cpp: Modbus TCP exposed only where expected

}  // namespace dce::audit
