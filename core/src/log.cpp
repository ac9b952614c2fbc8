#include "spate/core/log.hpp"

#include <cstdlib>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace spate {

spdlog::logger& log() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto l = spdlog::stderr_color_mt("spate");
    l->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
    if (const char* lvl = std::getenv("SPATE_LOG_LEVEL"))
      l->set_level(spdlog::level::from_str(lvl));
    else
      l->set_level(spdlog::level::info);
    return l;
  }();
  return *logger;
}

} // namespace spate
