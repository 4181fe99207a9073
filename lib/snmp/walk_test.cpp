// The walk against tests/lib/fake_agent.py on 127.0.0.1 (issue 9): max_varbinds stops it
// with status ok and truncated=true, and an agent that rejects GETBULK is walked with
// GETNEXT (bulk_fell_back). The agent counts the PDUs it answered by type, so the tests
// also check that the walk stopped asking at the limit. No timing assertions.
#include "snmp/snmp.hpp"

#include <catch.hpp>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

extern char** environ;

using namespace dce::snmp;

namespace {

// fake_agent.py with `args`, stopped (by its pid) when the object goes.
class FakeAgent {
  public:
    explicit FakeAgent(const std::vector<std::string>& args) {
        char tmpl[] = "/tmp/dce-walk-test.XXXXXX";
        if (const char* d = mkdtemp(tmpl)) dir_ = d;
        port_file_ = dir_ + "/port";
        std::vector<std::string> argv = {
            "/usr/bin/python3", std::string(DCE_TEST_SOURCE_DIR) + "/tests/lib/fake_agent.py",
            port_file_};
        argv.insert(argv.end(), args.begin(), args.end());
        std::vector<char*> cargv;
        for (auto& a : argv)
            cargv.push_back(a.data());
        cargv.push_back(nullptr);
        if (dir_.empty() ||
            posix_spawn(&pid_, cargv[0], nullptr, nullptr, cargv.data(), environ) != 0)
            pid_ = -1;
        // The agent writes its port file (by rename) once bound; wait for it at start-up
        // only, with a generous ceiling.
        for (int i = 0; i < 400 && pid_ > 0 && port_ == 0; ++i) {
            std::ifstream f(port_file_);
            if (int p = 0; f >> p && p > 0) {
                port_ = static_cast<std::uint16_t>(p);
                break;
            }
            if (waitpid(pid_, nullptr, WNOHANG) == pid_) pid_ = -1;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
    ~FakeAgent() {
        if (pid_ > 0) {
            kill(pid_, SIGTERM);
            waitpid(pid_, nullptr, 0);
        }
        std::error_code ec;
        if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
    }
    FakeAgent(const FakeAgent&) = delete;
    FakeAgent& operator=(const FakeAgent&) = delete;

    std::uint16_t port() const { return port_; }
    /// PDUs answered so far by type ("getbulk", "getnext", "get"); written by the agent
    /// before it sends each answer, so complete once the engine has its response.
    std::map<std::string, int> requests() const {
        std::map<std::string, int> out;
        std::ifstream f(port_file_ + ".stats");
        std::string type;
        for (int n = 0; f >> type >> n;)
            out[type] = n;
        return out;
    }

  private:
    std::string dir_, port_file_;
    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
};

Oid oid(const char* text) {
    Oid o;
    REQUIRE(parse_oid(text, o));
    return o;
}

Request walk(std::uint16_t port, std::vector<Oid> roots) {
    Request r;
    r.target = {"127.0.0.1", port};
    r.security = Security::community_v(Version::v2c, dce::Secret(std::string("public")));
    r.op = Op::walk;
    r.oids = std::move(roots);
    // No resends, which would add to the agent's counts; a generous timeout instead.
    r.timeout = std::chrono::milliseconds(10000);
    r.retries = 0;
    return r;
}

std::vector<std::string> oids_of(const Response& r) {
    std::vector<std::string> out;
    for (const auto& vb : r.varbinds)
        out.push_back(oid_to_string(vb.oid));
    return out;
}

const char* if_entry = "1.3.6.1.2.1.2.2.1";  // the agent's ifTable: ifDescr and ifOperStatus
const char* if_descr = "1.3.6.1.2.1.2.2.1.2";
const char* if_oper = "1.3.6.1.2.1.2.2.1.8";

}  // namespace

TEST_CASE("a walk stops at max_varbinds: ok, truncated, no further requests", "[snmp][walk]") {
    FakeAgent agent({"--rows", "5"});
    REQUIRE(agent.port() != 0);

    Response all = run_one(walk(agent.port(), {oid(if_entry)}));
    REQUIRE(all.status == Status::ok);
    CHECK(all.varbinds.size() == 10);  // 5 rows x 2 columns
    CHECK_FALSE(all.truncated);
    CHECK_FALSE(all.bulk_fell_back);

    auto before = agent.requests()["getbulk"];
    Request req = walk(agent.port(), {oid(if_entry)});
    req.max_repetitions = 2;
    req.max_varbinds = 5;
    Response cut = run_one(req);
    REQUIRE(cut.status == Status::ok);
    CHECK(cut.truncated);
    CHECK_FALSE(cut.bulk_fell_back);
    CHECK(oids_of(cut) == std::vector<std::string>{"1.3.6.1.2.1.2.2.1.2.1", "1.3.6.1.2.1.2.2.1.2.2",
                                                   "1.3.6.1.2.1.2.2.1.2.3", "1.3.6.1.2.1.2.2.1.2.4",
                                                   "1.3.6.1.2.1.2.2.1.2.5"});
    // 2 + 2 + 1 of the third answer's 2: three GETBULKs, none after the limit.
    CHECK(agent.requests()["getbulk"] - before == 3);
}

TEST_CASE("a truncated walk of table columns keeps each column's rows together", "[snmp][walk]") {
    FakeAgent agent({"--rows", "5"});
    REQUIRE(agent.port() != 0);
    Request req = walk(agent.port(), {oid(if_descr), oid(if_oper)});
    req.max_varbinds = 3;
    Response r = run_one(req);
    REQUIRE(r.status == Status::ok);
    CHECK(r.truncated);
    // Answers come row by row (descr.1, oper.1, descr.2, ...); the result is by column.
    CHECK(oids_of(r) == std::vector<std::string>{"1.3.6.1.2.1.2.2.1.2.1", "1.3.6.1.2.1.2.2.1.2.2",
                                                 "1.3.6.1.2.1.2.2.1.8.1"});
    CHECK(agent.requests()["getbulk"] == 1);
}

TEST_CASE("an agent that rejects GETBULK is walked with GETNEXT", "[snmp][walk]") {
    FakeAgent agent({"--rows", "5", "--reject-bulk"});
    REQUIRE(agent.port() != 0);

    Response all = run_one(walk(agent.port(), {oid(if_entry)}));
    REQUIRE(all.status == Status::ok);
    CHECK(all.bulk_fell_back);
    CHECK_FALSE(all.truncated);
    CHECK(all.varbinds.size() == 10);
    auto n = agent.requests();
    CHECK(n["getbulk"] == 1);   // tried once, then never again in this walk
    CHECK(n["getnext"] == 11);  // one per varbind, and one past the end of the table

    Request req = walk(agent.port(), {oid(if_entry)});
    req.max_varbinds = 4;
    Response cut = run_one(req);
    REQUIRE(cut.status == Status::ok);
    CHECK(cut.bulk_fell_back);
    CHECK(cut.truncated);
    CHECK(cut.varbinds.size() == 4);
    n = agent.requests();
    CHECK(n["getbulk"] == 2);
    CHECK(n["getnext"] == 11 + 4);

    Request plain = walk(agent.port(), {oid(if_entry)});
    plain.bulk = false;  // asked for GETNEXT: nothing to fall back from
    Response r = run_one(plain);
    REQUIRE(r.status == Status::ok);
    CHECK_FALSE(r.bulk_fell_back);
    CHECK(r.varbinds.size() == 10);
    CHECK(agent.requests()["getbulk"] == 2);
}
