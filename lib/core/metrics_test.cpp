#include "core/metrics.hpp"

#include <sys/stat.h>
#include <unistd.h>
#include <catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

TEST_CASE("an exposition has HELP and TYPE per family, samples grouped, and # EOF") {
    dce::metrics::Exposition m;
    m.counter("dce_x_drops_total", "Drops.", 3, {{"where", "queue"}});
    m.gauge("dce_x_depth", "Depth.", 2.5);
    m.counter("dce_x_drops_total", "", 4, {{"where", "ker\"nel\n"}});
    CHECK(m.text() ==
          "# HELP dce_x_drops_total Drops.\n"
          "# TYPE dce_x_drops_total counter\n"
          "dce_x_drops_total{where=\"queue\"} 3\n"
          "dce_x_drops_total{where=\"ker\\\"nel\\n\"} 4\n"
          "# HELP dce_x_depth Depth.\n"
          "# TYPE dce_x_depth gauge\n"
          "dce_x_depth 2.5\n"
          "# EOF\n");
}

TEST_CASE("the metrics file is replaced whole, readable by the collector") {
    char dir[] = "/tmp/dce-metrics-XXXXXX";
    REQUIRE(mkdtemp(dir));
    std::string path = std::string(dir) + "/x.prom";
    std::string e;
    REQUIRE(dce::metrics::write_metrics_file(path, "a 1\n# EOF\n", e));
    REQUIRE(dce::metrics::write_metrics_file(path, "a 2\n# EOF\n", e));
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    CHECK(ss.str() == "a 2\n# EOF\n");
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0644);
    ::unlink(path.c_str());
    CHECK(::rmdir(dir) == 0);  // no temp file left beside it
    CHECK_FALSE(dce::metrics::write_metrics_file(std::string(dir) + "/gone/x.prom", "", e));
    CHECK(e.find("--metrics-file") != std::string::npos);
}
