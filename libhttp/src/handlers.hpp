#pragma once

#include "route_table.hpp"

namespace clauster::http {

/// The routes this server serves: the 13 public routes of spec §2.2 (each
/// registered once, answered under `/api` and `/api/v1`) and `GET /healthz`.
/// Tests and a future OpenAPI generator read this same table.
route_table make_route_table();

/// The route handlers. Pure functions of the request and the manager.
namespace handlers {

/// `GET /api/projects`: `[Project…]` sorted by lower-cased name (spec §2.6).
response list_projects(const route_context& ctx);

/// `GET /healthz` (spec §2.7): `{"status":"ok"}` only when auth is enabled and
/// the caller is anonymous; otherwise the full health report.
response healthz(const route_context& ctx);

/// 501 `{"detail":"not implemented yet","code":"not_implemented"}`.
response not_implemented(const route_context& ctx);

}  // namespace handlers

}  // namespace clauster::http
