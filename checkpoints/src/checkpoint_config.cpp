#include "spate/checkpoints/checkpoint_config.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <limits>

#include "spate/core/error.hpp"

namespace spate {

namespace {

[[noreturn]] void bad(const std::string& key, const std::string& value, const std::string& why) {
  throw error(errc::invalid_argument, "configuration '" + key + "': '" + value + "' " + why);
}

} // namespace

restore_mode parse_restore_mode(const std::string& value, const std::string& what) {
  std::string upper = value;
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
  for (auto m : {restore_mode::claim, restore_mode::no_claim, restore_mode::legacy})
    if (upper == to_string(m))
      return m;
  throw error(errc::invalid_argument,
              what + ": '" + value +
                  "' is not a restore mode (CLAIM, NO_CLAIM or LEGACY, in any case)");
}

const char* to_string(restore_mode m) {
  switch (m) {
    case restore_mode::claim:
      return "CLAIM";
    case restore_mode::legacy:
      return "LEGACY";
    case restore_mode::no_claim:
      break;
  }
  return "NO_CLAIM";
}

checkpoint_config checkpoint_config::from(const configuration& c) {
  checkpoint_config cc;
  if (auto v = c.get(options::checkpoint_interval)) {
    cc.interval = c.get_duration(options::checkpoint_interval, {});
    if (cc.interval.count() < 0)
      bad(options::checkpoint_interval, *v, "must not be negative");
    cc.enabled = cc.interval.count() > 0;
  }
  cc.min_pause = c.get_duration(options::checkpoint_min_pause, cc.min_pause);
  cc.timeout = c.get_duration(options::checkpoint_timeout, cc.timeout);
  if (cc.timeout.count() <= 0)
    bad(options::checkpoint_timeout, std::to_string(cc.timeout.count()), "must be positive");
  auto mode = c.get_string(options::checkpoint_mode, "EXACTLY_ONCE");
  if (mode == "EXACTLY_ONCE" || mode == "exactly_once")
    cc.exactly_once = true;
  else if (mode == "AT_LEAST_ONCE" || mode == "at_least_once")
    cc.exactly_once = false;
  else
    bad(options::checkpoint_mode, mode, "is not EXACTLY_ONCE or AT_LEAST_ONCE");
  // Range-checked before narrowing: "4294967297" must not become 1.
  constexpr std::int64_t int_max = std::numeric_limits<int>::max();
  cc.tolerable_failures = static_cast<int>(
      c.get_int(options::tolerable_failed_checkpoints, cc.tolerable_failures, 0, int_max));
  cc.retained = static_cast<int>(c.get_int(options::checkpoints_retained, cc.retained, 1, int_max));
  cc.dir = c.get_string(options::checkpoints_dir,
                        (std::filesystem::temp_directory_path() / "spate-checkpoints").string());
  if (auto v = c.get(options::savepoint_restore_mode))
    cc.restore = parse_restore_mode(*v, std::string("configuration '") +
                                            options::savepoint_restore_mode + "'");
  return cc;
}

} // namespace spate
