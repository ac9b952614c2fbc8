// The web dashboard's files over HTTP: a lookup in the table the build
// embedded (no file system access, so no path can leave it), with the
// headers a browser needs to cache them and to run the page under a strict
// Content-Security-Policy.
#include "rest_web.hpp"

#include <cstring>

namespace spate::cluster_detail::rest_api {

namespace {

// Scripts and styles from this server only (no inline script, no eval);
// data: images for uPlot's canvas exports; the API on the same origin; the
// page may not be framed (clickjacking of the cancel button).
constexpr const char* content_security_policy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'";

const web_asset* find_asset(const std::string& name) {
  for (std::size_t i = 0; i < web_asset_count; ++i)
    if (name == web_assets[i].path)
      return &web_assets[i];
  return nullptr;
}

bool etag_matches(const std::string& header, const char* etag) {
  if (header.empty())
    return false;
  if (header == "*")
    return true;
  // A list of (possibly weak) tags: W/"abc", "def".
  std::size_t pos = 0;
  while (pos < header.size()) {
    auto comma = header.find(',', pos);
    auto item = header.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? header.size() : comma + 1;
    auto b = item.find_first_not_of(" \t");
    if (b == std::string::npos)
      continue;
    item = item.substr(b, item.find_last_not_of(" \t") - b + 1);
    if (item.rfind("W/", 0) == 0)
      item = item.substr(2);
    if (item == etag)
      return true;
  }
  return false;
}

} // namespace

bool is_dashboard_path(const std::string& path) {
  return path == "/" || path.rfind("/web/", 0) == 0;
}

void web_dashboard(jobmanager&, const httplib::Request& req, httplib::Response& res) {
  std::string name = req.path == "/" ? std::string("index.html") : req.path.substr(5);
  const web_asset* asset = find_asset(name);
  if (asset == nullptr) {
    fail(res, 404,
         web_asset_count == 0
             ? "Not found: " + req.path + " (this JobManager was built without the web dashboard)"
             : "Not found: " + req.path);
    return;
  }
  res.set_header("Cache-Control",
                 asset->immutable ? "public, max-age=31536000, immutable" : "no-cache");
  res.set_header("ETag", asset->etag);
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Content-Security-Policy", content_security_policy);
  res.set_header("Cross-Origin-Opener-Policy", "same-origin");
  res.set_header("Cross-Origin-Resource-Policy", "same-origin");
  if (etag_matches(req.get_header_value("If-None-Match"), asset->etag)) {
    res.status = 304;
    return;
  }
  res.status = 200;
  res.set_content(reinterpret_cast<const char*>(asset->data), asset->size, asset->content_type);
}

} // namespace spate::cluster_detail::rest_api
