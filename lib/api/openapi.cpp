// GET /api/v1/openapi.json (openapi.hpp).
#include "api/openapi.hpp"

namespace dce::embedded {
std::string_view openapi_json();  // generated from docs/openapi.json (lib/CMakeLists.txt)
}

namespace dce::api {

std::string_view openapi_json() {
    return embedded::openapi_json();
}

void add_openapi_route(Router& router) {
    router.add({"GET", "/api/v1/openapi.json", "",
                [](const Request&, const Principal&) {
                    Response r;
                    r.body = std::string(openapi_json());
                    r.headers.emplace_back("Cache-Control", "public, max-age=3600");
                    return r;
                },
                "This API's OpenAPI 3.1 description"});
}

}  // namespace dce::api
