#pragma once
// The OpenAPI 3 description of the API: docs/openapi.json, embedded in the binary at
// build time (cmake/EmbedText.cmake) and served at GET /api/v1/openapi.json without a
// token. lib/storetool/serve_test.cpp checks it against the route table.

#include "api/router.hpp"

#include <string_view>

namespace dce::api {

/// docs/openapi.json as built into this binary.
std::string_view openapi_json();

/// GET /api/v1/openapi.json (no bearer token).
void add_openapi_route(Router& router);

}  // namespace dce::api
