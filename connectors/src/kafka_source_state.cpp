// The Kafka source's checkpoint entry.
#include "spate/connectors/kafka_source.hpp"

#include "spate/core/codec.hpp"
#include "spate/core/error.hpp"

namespace spate {

namespace {

struct kafka_source_state {
  std::uint32_t version = 1;
  //! (topic, partition, next offset), kafka_earliest when nothing was read.
  std::vector<std::tuple<std::string, std::int32_t, std::int64_t>> positions;
  SPATE_FIELDS(version, positions);
};

} // namespace

std::string encode_kafka_source_state(const std::vector<kafka_partition_offset>& positions) {
  kafka_source_state s;
  for (const auto& p : positions)
    s.positions.emplace_back(p.topic, p.partition, p.offset);
  std::string bytes;
  encode(s, bytes);
  return bytes;
}

std::vector<kafka_partition_offset> decode_kafka_source_state(const std::string& bytes) {
  kafka_source_state s;
  try {
    s = decode<kafka_source_state>(bytes, "kafka source state");
  } catch (const error& e) {
    throw error(errc::corrupt, std::string("kafka source state: ") + e.what());
  }
  if (s.version != 1)
    throw error(errc::corrupt, "kafka source state: unknown version " + std::to_string(s.version));
  std::vector<kafka_partition_offset> out;
  for (auto& [topic, partition, offset] : s.positions) {
    if (topic.empty() || partition < 0 || (offset < 0 && offset != kafka_earliest))
      throw error(errc::corrupt, "kafka source state: bad position " + topic + "-" +
                                     std::to_string(partition) + "@" + std::to_string(offset));
    out.push_back({topic, partition, offset});
  }
  return out;
}

} // namespace spate
