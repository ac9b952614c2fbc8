#include "spate/connectors/checkpointing.hpp"

#include "spate/core/config.hpp"

namespace spate {

bool checkpointing_enabled(const runtime_context& ctx) {
  // Flink's key, as read by the checkpoint coordinator (checkpoint_config).
  static constexpr const char* key = "execution.checkpointing.interval";
  if (ctx.config == nullptr || !ctx.config->contains(key))
    return false;
  return ctx.config->get_duration(key, duration{0}).count() > 0;
}

} // namespace spate
