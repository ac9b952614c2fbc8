// Logging through spdlog. One logger, "spate", writing to stderr.
#pragma once

#include <memory>

#include <spdlog/spdlog.h>

namespace spate {

//! The process-wide logger (created on first use, thread-safe).
spdlog::logger& log();

} // namespace spate
