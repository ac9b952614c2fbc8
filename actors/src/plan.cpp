#include "plan.hpp"

#include <cstdint>
#include <limits>
#include <set>
#include <sstream>

#include "spate/core/error.hpp"
#include "spate/core/hash.hpp"

namespace spate::detail {

namespace {

std::string hex(std::uint64_t v) {
  std::ostringstream os;
  os << std::hex << v;
  return os.str();
}

} // namespace

int execution_plan::channels_per_target(const job_graph& g, int edge) const {
  const auto& e = g.edges()[edge];
  if (edges[edge].part == partitioning::forward)
    return 1;
  return vertices[e.from.value()].parallelism;
}

int execution_plan::channel_base(const job_graph& g, int edge) const {
  const auto& target_chain = chains[vertices[g.edges()[edge].to.value()].chain];
  int base = 0;
  for (int in : target_chain.in_edges) {
    if (in == edge)
      return base;
    base += channels_per_target(g, in);
  }
  throw error(errc::internal, "edge is not an input of its target chain");
}

int execution_plan::input_channels(const job_graph& g, int chain) const {
  int n = 0;
  for (int in : chains[chain].in_edges)
    n += channels_per_target(g, in);
  return n;
}

execution_plan make_plan(job_graph& graph, const configuration& config) {
  // Read within int's range: a larger value is refused, not truncated.
  const int default_par = static_cast<int>(
      config.get_int(options::parallelism, 1, INT32_MIN, std::numeric_limits<std::int32_t>::max()));
  const int default_max =
      static_cast<int>(config.get_int(options::max_parallelism, default_max_parallelism, INT32_MIN,
                                      std::numeric_limits<std::int32_t>::max()));
  if (default_max < 1 || default_max > upper_max_parallelism)
    throw error(errc::invalid_argument, "max parallelism " + std::to_string(default_max) +
                                            " is outside 1.." +
                                            std::to_string(upper_max_parallelism));
  if (default_par < 1)
    throw error(errc::invalid_argument,
                "parallelism " + std::to_string(default_par) + " must be at least 1");

  auto& vs = graph.vertices();
  const auto& es = graph.edges();
  execution_plan plan;
  plan.vertices.resize(vs.size());
  plan.edges.resize(es.size());

  // Parallelism, max parallelism, uids.
  std::set<std::string> uids;
  std::vector<std::vector<int>> inputs(vs.size()), outputs(vs.size());
  for (std::size_t i = 0; i < es.size(); ++i) {
    // Vertices are numbered as they are added, and an edge can only name
    // vertices that exist: one that does not lead forward would be a cycle.
    if (es[i].from.value() < 0 || es[i].to.value() >= static_cast<int>(vs.size()) ||
        es[i].from.value() >= es[i].to.value())
      throw error(errc::invalid_argument,
                  "the edge from vertex " + std::to_string(es[i].from.value()) + " to vertex " +
                      std::to_string(es[i].to.value()) +
                      " does not lead forward: job graphs must not have cycles");
    inputs[es[i].to.value()].push_back(static_cast<int>(i));
    outputs[es[i].from.value()].push_back(static_cast<int>(i));
  }
  for (std::size_t v = 0; v < vs.size(); ++v) {
    auto& pv = plan.vertices[v];
    const auto& jv = vs[v];
    pv.max_parallelism = jv.max_parallelism > 0 ? jv.max_parallelism : default_max;
    if (pv.max_parallelism > upper_max_parallelism)
      throw error(errc::invalid_argument, "operator '" + jv.name + "': max parallelism " +
                                              std::to_string(pv.max_parallelism) + " is above " +
                                              std::to_string(upper_max_parallelism));
    pv.parallelism = jv.single_instance ? 1 : (jv.parallelism > 0 ? jv.parallelism : default_par);
    if (jv.parallelism > 1 && jv.single_instance)
      throw error(errc::invalid_argument, "operator '" + jv.name +
                                              "' runs as a single instance; it cannot have "
                                              "parallelism " +
                                              std::to_string(jv.parallelism));
    if (pv.parallelism > pv.max_parallelism)
      throw error(errc::invalid_argument,
                  "operator '" + jv.name + "': parallelism " + std::to_string(pv.parallelism) +
                      " is above its max parallelism " + std::to_string(pv.max_parallelism));
    if (jv.is_source != inputs[v].empty())
      throw error(errc::internal, "operator '" + jv.name + "' has inconsistent inputs");
    if (!jv.uid.empty()) {
      pv.uid = jv.uid;
    } else {
      // Deterministic from the vertex's place: its name, position and inputs.
      std::uint64_t h = hash_bytes(jv.name.data(), jv.name.size()) ^ mix64(v + 1);
      for (int e : inputs[v])
        h = mix64(h * 31 + stable_hash<std::string>{}(plan.vertices[es[e].from.value()].uid));
      pv.uid = hex(h);
    }
    if (!uids.insert(pv.uid).second)
      throw error(errc::invalid_argument, "operator uid '" + pv.uid + "' is used twice");
  }

  // Partitioning: automatic becomes forward or rebalance, as Flink does.
  for (std::size_t i = 0; i < es.size(); ++i) {
    const auto& e = es[i];
    int pf = plan.vertices[e.from.value()].parallelism;
    int pt = plan.vertices[e.to.value()].parallelism;
    auto part = e.part;
    if (part == partitioning::automatic)
      part = pf == pt ? partitioning::forward : partitioning::rebalance;
    if (part == partitioning::forward && pf != pt)
      throw error(errc::invalid_argument,
                  "forward partitioning from '" + vs[e.from.value()].name + "' (parallelism " +
                      std::to_string(pf) + ") to '" + vs[e.to.value()].name + "' (parallelism " +
                      std::to_string(pt) + ") does not allow a change of parallelism");
    if (vs[e.to.value()].keyed && part != partitioning::hash)
      throw error(errc::internal,
                  "keyed operator '" + vs[e.to.value()].name + "' must be fed by a keyed stream");
    plan.edges[i].part = part;
  }

  // Chains: a vertex joins its input's chain when that is its only input, the
  // edge is forward, and neither side opted out.
  for (std::size_t v = 0; v < vs.size(); ++v) {
    auto& pv = plan.vertices[v];
    if (inputs[v].size() == 1) {
      int e = inputs[v][0];
      int from = es[e].from.value();
      if (plan.edges[e].part == partitioning::forward && vs[v].chainable && vs[from].chainable &&
          !vs[v].keyed) {
        plan.edges[e].chained = true;
        pv.chain = plan.vertices[from].chain;
        plan.chains[pv.chain].members.push_back(static_cast<int>(v));
        continue;
      }
    }
    pv.chain = static_cast<int>(plan.chains.size());
    chain_plan c;
    c.head = static_cast<int>(v);
    c.members.push_back(static_cast<int>(v));
    c.parallelism = pv.parallelism;
    c.in_edges = inputs[v];
    plan.chains.push_back(std::move(c));
  }
  for (auto& c : plan.chains) {
    for (std::size_t k = 0; k < c.members.size(); ++k) {
      const auto& jv = vs[c.members[k]];
      if (k > 0)
        c.name += " -> ";
      c.name += jv.is_source ? "Source: " + jv.name : jv.name;
      for (int e : outputs[c.members[k]])
        if (!plan.edges[e].chained)
          c.out_edges.push_back(e);
    }
  }
  return plan;
}

} // namespace spate::detail
