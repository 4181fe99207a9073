#pragma once
// GET /api/v1/changes: everything stored after an offset (the store's insertion sequence,
// store::read_changes), so an integrator catches up without gaps by passing the answer's
// next_after back as `after`. Any valid token may ask; each record kind is shown only to
// tokens holding its scope, and only the token's site (api::site_for).

#include "api/endpoints.hpp"

namespace dce::api {

/// The store kinds a principal may see in the feed: device <- read:inventory,
/// reading <- read:readings, event and other <- read:events, finding <- read:findings.
std::vector<store::Kind> change_kinds(const Principal& who);

void add_changes_route(Router& router, store::Db& db, DataOptions options = {});

}  // namespace dce::api
