#include "trap/catalogue.hpp"

#include <catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <stdexcept>

#include <unistd.h>

using namespace dce::trap;

namespace {

// Local: the OID text functions live in message.cpp, which this test does not need.
Oid O(std::string_view text) {
    Oid o;
    std::uint64_t arc = 0;
    for (char c : text) {
        if (c == '.') {
            o.push_back(static_cast<std::uint32_t>(arc));
            arc = 0;
        } else {
            arc = arc * 10 + static_cast<std::uint64_t>(c - '0');
        }
    }
    o.push_back(static_cast<std::uint32_t>(arc));
    return o;
}

const std::string traps_dir = std::string(DCE_TEST_SOURCE_DIR) + "/traps";

const Catalogue& real() {
    static const Catalogue c = [] {
        Catalogue cat;
        std::vector<std::string> errors;
        cat.load_dir(traps_dir, errors);
        if (!errors.empty()) throw std::runtime_error(errors.front());
        return cat;
    }();
    return c;
}

struct TempDir {
    std::filesystem::path path;
    explicit TempDir(const std::string& name) {
        path = std::filesystem::temp_directory_path() /
               (name + "-" + std::to_string(static_cast<long>(::getpid())));
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    void write(const std::string& file, const std::string& text) const {
        std::ofstream(path / file) << text;
    }
};

}  // namespace

TEST_CASE("the shipped catalogue loads with no error", "[trap]") {
    Catalogue c;
    std::vector<std::string> errors;
    c.load_dir(traps_dir, errors);
    CHECK(errors.empty());
    CHECK(c.trap_count() > 1000);
    CHECK(c.object_count() > 100);
}

TEST_CASE("PowerNet-MIB upsOnBattery is enterprise apc, specific 5", "[trap]") {
    const TrapInfo* t = real().find(O("1.3.6.1.4.1.318.0.5"));
    REQUIRE(t != nullptr);
    CHECK(t->name == "upsOnBattery");
    CHECK(t->severity == "warn");
    CHECK(t->mib == "PowerNet-MIB");
    CHECK(!t->summary.empty());
    CHECK(t->file.find("PowerNet-MIB.json") != std::string::npos);
    // The same trap sent as SNMPv1.
    CHECK(real().find(v1_trap_oid(O("1.3.6.1.4.1.318"), 6, 5)) == t);
}

TEST_CASE("the standard traps: coldStart, linkDown", "[trap]") {
    const TrapInfo* cold = real().find(O("1.3.6.1.6.3.1.1.5.1"));
    REQUIRE(cold != nullptr);
    CHECK(cold->name == "coldStart");
    CHECK(cold->severity == "info");
    CHECK(cold->mib == "SNMPv2-MIB");
    const TrapInfo* down = real().find(v1_trap_oid(O("1.3.6.1.4.1.8072"), 2, 0));
    REQUIRE(down != nullptr);
    CHECK(down->name == "linkDown");
    CHECK(down->severity == "warn");
    CHECK(down->mib == "IF-MIB");
    CHECK(Catalogue::describe(*down, {"3", "1", "2"}) == "Link down on interface 3.");
    const TrapInfo* auth = real().find(O("1.3.6.1.6.3.1.1.5.5"));
    REQUIRE(auth != nullptr);
    CHECK(auth->name == "authenticationFailure");
    // RFC 1628 puts its notifications right under upsTraps (upsMIB.2), with no .0 arc.
    const TrapInfo* onbat = real().find(O("1.3.6.1.2.1.33.2.1"));
    REQUIRE(onbat != nullptr);
    CHECK(onbat->name == "upsTrapOnBattery");
    CHECK(onbat->mib == "UPS-MIB");
    CHECK(onbat->severity == "warn");
}

TEST_CASE("a NetBotz notification and its return to normal", "[trap]") {
    const TrapInfo* high = real().find(O("1.3.6.1.4.1.5528.100.10.2.1.0.2"));
    REQUIRE(high != nullptr);
    CHECK(high->name == "netBotzTempTooHigh");
    CHECK(high->mib == "NETBOTZV2-MIB");
    CHECK(high->severity == "warn");
    const TrapInfo* rtn = real().find(O("1.3.6.1.4.1.5528.100.10.2.1.0.102"));
    REQUIRE(rtn != nullptr);
    CHECK(rtn->name == "netBotzTempTooHighRTN");
    CHECK(rtn->severity == "info");
}

TEST_CASE("an XUPS-MIB trap, v2 OID and v1 enterprise xupsTrapDefined", "[trap]") {
    // xupsTrapDefined = xupsTrapSource.1 = 1.3.6.1.4.1.534.1.11.4.1; the MIB's
    // xupsTrapOidDefined is xupsTrapDefined.0, as RFC 3584 maps a v1 trap.
    const TrapInfo* t = real().find(O("1.3.6.1.4.1.534.1.11.4.1.0.3"));
    REQUIRE(t != nullptr);
    CHECK(t->name == "xupstdOnBattery");
    CHECK(t->mib == "XUPS-MIB");
    CHECK(t->severity == "critical");  // --#SEVERITY MAJOR
    CHECK(real().find(v1_trap_oid(O("1.3.6.1.4.1.534.1.11.4.1"), 6, 3)) == t);
}

TEST_CASE("every shipped entry has a name, a known severity and a unique OID", "[trap]") {
    std::size_t total = 0;
    std::set<std::string> oids;
    for (const auto& e : std::filesystem::directory_iterator(traps_dir)) {
        if (e.path().extension() != ".json") continue;
        std::ifstream in(e.path());
        auto doc = nlohmann::json::parse(in);
        INFO(e.path().string());
        CHECK(doc["generated_by"] == "scripts/gen-trap-catalogue.py");
        CHECK(!doc["source"].get<std::string>().empty());
        for (const auto& t : doc["traps"]) {
            INFO(t.dump());
            std::string sev = t["severity"];
            CHECK((sev == "info" || sev == "warn" || sev == "critical"));
            std::string from = t["severity_from"];
            CHECK((from == "annotation" || from == "rule" || from == "table"));
            CHECK(!t["name"].get<std::string>().empty());
            CHECK(oids.insert(t["oid"].get<std::string>()).second);
            for (const auto& a : t["arguments"])
                CHECK(a.get<std::size_t>() < t["objects"].size());
            ++total;
        }
    }
    CHECK(total == real().trap_count());
    for (const auto& [oid, t] : real().traps()) {
        CHECK(!t.name.empty());
        CHECK((t.severity == "info" || t.severity == "warn" || t.severity == "critical"));
    }
}

TEST_CASE("object names: longest known prefix plus the instance", "[trap]") {
    const Catalogue& c = real();
    CHECK(c.object_name(O("1.3.6.1.2.1.1.3")) == "sysUpTime");
    CHECK(c.object_name(O("1.3.6.1.2.1.1.3.0")) == "sysUpTime.0");
    CHECK(c.object_name(O("1.3.6.1.6.3.1.1.4.1.0")) == "snmpTrapOID.0");
    CHECK(c.object_name(O("1.3.6.1.2.1.2.2.1.1.3")) == "ifIndex.3");
    CHECK(c.object_name(O("1.3.6.1.2.1.2.2.1.8.12")) == "ifOperStatus.12");
    CHECK(c.object_name(O("1.3.6.1.4.1.318.2.3.3.0")) == "mtrapargsString.0");
    CHECK(c.object_name(O("1.3.6.1.2.1.2.2.1")).empty());  // ifEntry itself is not listed
    CHECK(c.object_name(O("1.2.3")).empty());
    CHECK(c.object_name(Oid{}).empty());
}

TEST_CASE("describe fills placeholders from the varbinds its arguments name", "[trap]") {
    TrapInfo t;
    t.summary = "Outlet %s (%d) is %s; 100%% sure";
    t.arguments = {2, 0, 1};
    CHECK(Catalogue::describe(t, {"7", "off", "Rack A"}) == "Outlet Rack A (7) is off; 100% sure");
    // A missing value leaves its placeholder; later ones still fill.
    CHECK(Catalogue::describe(t, {"7"}) == "Outlet %s (7) is %s; 100% sure");
    t.arguments = {2};
    CHECK(Catalogue::describe(t, {"7", "off", "Rack A"}) == "Outlet Rack A (%d) is %s; 100% sure");
    t.summary = "no placeholders, a trailing %";
    CHECK(Catalogue::describe(t, {}) == "no placeholders, a trailing %");
    t.summary = "%u and %i and %x";
    t.arguments = {0, 1, 2};
    CHECK(Catalogue::describe(t, {"1", "2", "3"}) == "1 and 2 and %x");
}

TEST_CASE("a bad file is reported by name and the others still load", "[trap]") {
    TempDir d("dce-trap-catalogue-bad");
    d.write("a.json", R"({"mib": "A", "traps": [ {"oid": "1.3.6.1.4.1.9.0.1", "name": )");
    d.write("b.json", R"({"mib": "B", "traps": [{"oid": "1.3.6.1.4.1.9.0.2", "name": "bTrap",
        "severity": "info", "summary": "b %s", "arguments": [0]}],
        "objects": {"1.3.6.1.4.1.9.9": "bObject"}})");
    d.write("c.json", R"({"mib": "C", "traps": [{"oid": "1.3.6.1.4.1.9.0.3", "name": "cTrap",
        "severity": "major"}]})");
    d.write("d.json",
            R"({"mib": "D", "traps": [{"oid": "iso.3.6", "name": "dTrap", "severity": "info"}]})");
    d.write("e.json", R"([1, 2])");
    d.write("notes.txt", "not a catalogue");
    Catalogue c;
    std::vector<std::string> errors;
    c.load_dir(d.path.string(), errors);
    REQUIRE(errors.size() == 4);
    CHECK(errors[0].find("a.json") != std::string::npos);
    CHECK(errors[0].find("not valid JSON (byte") != std::string::npos);
    CHECK(errors[1].find("c.json") != std::string::npos);
    CHECK(errors[1].find("$.traps[0].severity") != std::string::npos);
    CHECK(errors[2].find("d.json") != std::string::npos);
    CHECK(errors[2].find("$.traps[0].oid") != std::string::npos);
    CHECK(errors[3].find("e.json") != std::string::npos);
    CHECK(c.trap_count() == 1);
    const TrapInfo* b = c.find(O("1.3.6.1.4.1.9.0.2"));
    REQUIRE(b != nullptr);
    CHECK(b->mib == "B");
    CHECK(Catalogue::describe(*b, {"x"}) == "b x");
    CHECK(c.object_name(O("1.3.6.1.4.1.9.9.4")) == "bObject.4");
    CHECK(c.find(O("1.3.6.1.4.1.9.0.3")) == nullptr);

    std::string error;
    CHECK_FALSE(c.load_file((d.path / "missing.json").string(), error));
    CHECK(error.find("missing.json") != std::string::npos);
    CHECK_FALSE(c.load_text("{}", "empty.json", error));
    CHECK(error.find("empty.json") != std::string::npos);
    // A missing directory is no error.
    errors.clear();
    c.load_dir((d.path / "nowhere").string(), errors);
    CHECK(errors.empty());
}

TEST_CASE("a user's file replaces a shipped entry with the same OID", "[trap]") {
    TempDir d("dce-trap-catalogue-user");
    d.write("my.json", R"({"mib": "local", "traps": [{"oid": "1.3.6.1.4.1.318.0.5",
        "name": "upsOnBattery", "severity": "critical", "summary": "On battery: %s",
        "arguments": [0]}]})");
    Catalogue c;
    std::vector<std::string> errors;
    c.load_dir(traps_dir, errors);
    std::size_t shipped = c.trap_count();
    c.load_dir(d.path.string(), errors);
    CHECK(errors.empty());
    CHECK(c.trap_count() == shipped);
    const TrapInfo* t = c.find(O("1.3.6.1.4.1.318.0.5"));
    REQUIRE(t != nullptr);
    CHECK(t->severity == "critical");
    CHECK(t->mib == "local");
    CHECK(t->file.find("my.json") != std::string::npos);
    CHECK(Catalogue::describe(*t, {"input failure"}) == "On battery: input failure");
    // Unchanged neighbours.
    REQUIRE(c.find(O("1.3.6.1.4.1.318.0.9")) != nullptr);
    CHECK(c.find(O("1.3.6.1.4.1.318.0.9"))->mib == "PowerNet-MIB");
}

TEST_CASE("default catalogue dirs: built-in or $DCE_TRAP_DIR, then the user's, then extra",
          "[trap]") {
    auto keep = [](const char* n) {
        const char* v = std::getenv(n);
        return v ? std::optional<std::string>(v) : std::nullopt;
    };
    auto old_trap = keep("DCE_TRAP_DIR"), old_xdg = keep("XDG_CONFIG_HOME");
    ::setenv("DCE_TRAP_DIR", "/srv/traps", 1);
    ::setenv("XDG_CONFIG_HOME", "/home/u/.cfg", 1);
    auto dirs = default_catalogue_dirs({"/extra"});
    CHECK(dirs == std::vector<std::string>{"/srv/traps", "/home/u/.cfg/dce/traps", "/extra"});
    ::unsetenv("DCE_TRAP_DIR");
    dirs = default_catalogue_dirs({});
    REQUIRE(dirs.size() == 2);
    CHECK(dirs[0].size() > 6);
    CHECK(dirs[0].substr(dirs[0].size() - 6) == "/traps");
    auto restore = [](const char* n, const std::optional<std::string>& v) {
        if (v)
            ::setenv(n, v->c_str(), 1);
        else
            ::unsetenv(n);
    };
    restore("DCE_TRAP_DIR", old_trap);
    restore("XDG_CONFIG_HOME", old_xdg);
}

TEST_CASE("v1 traps map to SNMPv2 notification OIDs per RFC 3584", "[trap]") {
    CHECK(v1_trap_oid(O("1.3.6.1.4.1.318"), 0, 0) == O("1.3.6.1.6.3.1.1.5.1"));
    CHECK(v1_trap_oid(O("1.3.6.1.4.1.318"), 4, 0) == O("1.3.6.1.6.3.1.1.5.5"));
    CHECK(v1_trap_oid(O("1.3.6.1.4.1.318"), 5, 0) == O("1.3.6.1.6.3.1.1.5.6"));
    CHECK(v1_trap_oid(O("1.3.6.1.4.1.318"), 6, 636) == O("1.3.6.1.4.1.318.0.636"));
    CHECK(v1_trap_oid(O("1.3.6.1.4.1.318"), 7, 1).empty());
    CHECK(v1_trap_oid(O("1.3.6.1.4.1.318"), -1, 1).empty());
}
