// The web dashboard (web/): its files, embedded in the binary at build time
// (cmake/embed_web.cmake writes the table), and the REST route serving them
// at / and /web/<file>.
#pragma once

#include <cstddef>
#include <string>

#include "rest_routes.hpp"

namespace spate::cluster_detail::rest_api {

//! One file of the dashboard, as the build embedded it.
struct web_asset {
  const char* path;         //!< under /web/, e.g. "app.js" or "vendor/1a2b3c4d/uPlot.esm.js"
  const char* content_type; //!< the Content-Type it is served with
  const char* etag;         //!< a quoted hash of the bytes
  bool immutable;           //!< a vendor file, whose path names its content
  const unsigned char* data;
  std::size_t size;
};

//! The generated table (web_assets.cpp in the build directory); empty when the
//! build leaves the dashboard out (-DSPATE_WEB_DASHBOARD=OFF).
extern const web_asset web_assets[];
extern const std::size_t web_asset_count;

//! True for the dashboard's own paths: "/" and "/web/...". Their GETs are
//! served without the bearer token (the files hold no data; the page asks
//! for the token and sends it with its API calls).
bool is_dashboard_path(const std::string& path);

//! GET / (index.html) and GET /web/<file>: 404 for a file that is not in the table.
void web_dashboard(jobmanager& jm, const httplib::Request& req, httplib::Response& res);

} // namespace spate::cluster_detail::rest_api
