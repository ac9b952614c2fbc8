// Turning a job graph into tasks: resolved parallelism, chains, channels.
#pragma once

#include <string>
#include <vector>

#include "spate/actors/job_graph.hpp"
#include "spate/core/config.hpp"

namespace spate::detail {

struct planned_vertex {
  int parallelism = 1;
  int max_parallelism = default_max_parallelism;
  std::string uid;
  int chain = -1;
};

struct planned_edge {
  partitioning part = partitioning::forward;
  bool chained = false;
};

struct chain_plan {
  int head = 0;
  //! Vertex ids of the chain, in topological order (head first).
  std::vector<int> members;
  int parallelism = 1;
  //! "Source: generator -> Flat Map", as Flink names chained tasks.
  std::string name;
  //! Network edges into the head, in channel order.
  std::vector<int> in_edges;
  //! Network edges leaving any member, in writer order.
  std::vector<int> out_edges;
};

struct execution_plan {
  std::vector<planned_vertex> vertices;
  std::vector<planned_edge> edges;
  std::vector<chain_plan> chains;

  //! Channels from `edge` into each subtask of its target chain.
  int channels_per_target(const job_graph& g, int edge) const;
  //! Index of the first channel of `edge` among its target's input channels.
  int channel_base(const job_graph& g, int edge) const;
  //! Total input channels of a subtask of `chain`.
  int input_channels(const job_graph& g, int chain) const;
};

//! Resolves defaults, validates, and chains. Throws spate::error naming the
//! offending operator.
execution_plan make_plan(job_graph& graph, const configuration& config);

} // namespace spate::detail
