#include "report/report.hpp"

#include <catch.hpp>

using dce::Json;
using namespace dce::report;

namespace {
Json finding(const std::string& target, const std::string& check, const std::string& status,
             const std::string& severity = "high") {
    dce::Finding f;
    f.tool = "t";
    f.target = target;
    f.check = check;
    f.status = status == "fail"   ? dce::Status::fail
               : status == "warn" ? dce::Status::warn
               : status == "skip" ? dce::Status::skip
                                  : dce::Status::pass;
    f.severity = severity == "high" ? dce::Severity::high : dce::Severity::info;
    f.message = "msg <&> \"" + check + "\"";
    f.reference = "RFC 1";
    return dce::to_record(f);
}
}  // namespace

TEST_CASE("parse_format knows the four formats") {
    CHECK(parse_format("sarif") == Format::sarif);
    CHECK(parse_format("junit") == Format::junit);
    CHECK_FALSE(parse_format("xml"));
}

TEST_CASE("xml_escape escapes markup and drops control characters") {
    CHECK(xml_escape("a<b>&\"'") == "a&lt;b&gt;&amp;&quot;&apos;");
    CHECK(xml_escape(std::string("x\x01y", 3)) == "x?y");
}

TEST_CASE("JUnit: one testcase per finding, at most one outcome element, counts add up") {
    Report r({"dce-test", "1", ""});
    r.add(finding("h:1", "c.a", "fail"));
    r.add(finding("h:1", "c.b", "pass"));
    r.add(finding("h:2", "c.a", "skip"));
    r.add(dce::make_error_record("t", "h:3", "timeout", "timed out"));
    CHECK_FALSE(r.add(dce::new_record("cert")));
    std::string x = r.render_junit();
    CHECK(x.find("<testsuites name=\"dce-test\" tests=\"4\" failures=\"1\" errors=\"1\" "
                 "skipped=\"1\"") != std::string::npos);
    CHECK(x.find("classname=\"h:1\" name=\"c.a\"") != std::string::npos);
    CHECK(x.find("<error message=\"timed out\" type=\"error.timeout\">") != std::string::npos);
    CHECK(x.find("msg &lt;&amp;&gt; &quot;c.a&quot;") != std::string::npos);
    CHECK(r.any_fail());
}

TEST_CASE("SARIF: one rule per check, levels, fingerprints, locations") {
    Report r({"dce-test", "1", ""});
    r.add_rule({"c.a", "CheckA", "A.", "Fix A.", "RFC 1", "high"});
    r.set_origin("h:1", {"inv.txt", 7});
    r.add(finding("h:1", "c.a", "fail"));
    r.add(finding("h:2", "c.a", "pass"));
    r.add(finding("h:2", "c.b", "warn"));
    Json doc = Json::parse(r.render_sarif());
    CHECK(doc["version"] == "2.1.0");
    auto& run = doc["runs"][0];
    REQUIRE(run["tool"]["driver"]["rules"].size() == 2);  // c.a registered, c.b added on sight
    auto& res = run["results"];
    REQUIRE(res.size() == 3);
    CHECK(res[0]["level"] == "error");
    CHECK(res[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 7);
    CHECK(res[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "inv.txt");
    CHECK(res[1]["level"] == "none");
    CHECK(res[1]["kind"] == "pass");
    CHECK_FALSE(res[1]["locations"][0].contains("physicalLocation"));
    CHECK(res[1]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "h:2");
    CHECK(res[2]["level"] == "warning");
    CHECK(res[2]["ruleIndex"] == 1);
    // Same target and check -> same fingerprint in another run; different -> different.
    Report again({"dce-test", "1", ""});
    again.add(finding("h:1", "c.a", "pass"));
    CHECK(Json::parse(again.render_sarif())["runs"][0]["results"][0]["partialFingerprints"] ==
          res[0]["partialFingerprints"]);
    CHECK(res[0]["partialFingerprints"] != res[1]["partialFingerprints"]);
}

TEST_CASE("text table puts failures first and ends with a summary") {
    Report r({"dce-test", "1", ""});
    r.add(finding("b:1", "c.ok", "pass"));
    r.add(finding("a:1", "c.bad", "fail"));
    std::string t = r.render_text();
    auto fail_pos = t.find("FAIL"), pass_pos = t.find("PASS");
    REQUIRE(fail_pos != std::string::npos);
    CHECK(fail_pos < pass_pos);
    CHECK(t.find("2 target(s), 2 result(s): 1 fail, 0 error, 0 warn, 1 pass, 0 skip") !=
          std::string::npos);
}
