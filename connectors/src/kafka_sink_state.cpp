// The Kafka sink's checkpoint entry.
#include "spate/connectors/kafka_sink.hpp"

#include "spate/core/codec.hpp"
#include "spate/core/error.hpp"

namespace spate {

namespace {

struct wire_state {
  std::uint32_t version = 1;
  std::int32_t subtask = 0;
  std::int64_t next_sequence = 0;
  //! (checkpoint, transactional id, producer id, epoch)
  std::vector<std::tuple<std::int64_t, std::string, std::int64_t, std::int16_t>> pending;
  SPATE_FIELDS(version, subtask, next_sequence, pending);
};

} // namespace

std::string encode_kafka_sink_state(const kafka_sink_state& s) {
  wire_state w;
  w.subtask = s.subtask;
  w.next_sequence = s.next_sequence;
  for (const auto& p : s.pending)
    w.pending.emplace_back(p.checkpoint_id, p.transactional_id, p.producer_id, p.producer_epoch);
  std::string bytes;
  encode(w, bytes);
  return bytes;
}

kafka_sink_state decode_kafka_sink_state(const std::string& bytes) {
  wire_state w;
  try {
    w = decode<wire_state>(bytes, "kafka sink state");
  } catch (const error& e) {
    throw error(errc::corrupt, std::string("kafka sink state: ") + e.what());
  }
  if (w.version != 1)
    throw error(errc::corrupt, "kafka sink state: unknown version " + std::to_string(w.version));
  if (w.subtask < 0 || w.next_sequence < 0)
    throw error(errc::corrupt, "kafka sink state: bad subtask or sequence");
  kafka_sink_state s;
  s.subtask = w.subtask;
  s.next_sequence = w.next_sequence;
  for (auto& [ckpt, id, pid, epoch] : w.pending) {
    if (id.empty() || pid < 0 || epoch < 0)
      throw error(errc::corrupt, "kafka sink state: bad pending transaction '" + id + "'");
    s.pending.push_back({ckpt, id, pid, epoch});
  }
  return s;
}

} // namespace spate
