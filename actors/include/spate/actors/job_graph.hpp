// The logical job graph the API builds: one vertex per transformation, edges
// with a partitioning. The runtime plans chains and tasks from it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "spate/actors/operator.hpp"
#include "spate/actors/record_writer.hpp"
#include "spate/core/types.hpp"

namespace spate {

struct job_vertex {
  vertex_id id;
  //! Shown in status and logs ("Map", "Keyed Reduce", or what name() set).
  std::string name;
  //! Stable identity for state; empty: derived from the vertex's place.
  std::string uid;
  //! -1: the environment's default parallelism.
  int parallelism = -1;
  //! -1: the environment's max parallelism.
  int max_parallelism = -1;
  bool is_source = false;
  //! Keyed operators get a RocksDB state backend per subtask.
  bool keyed = false;
  //! False: never chained with its input (disable_chaining()).
  bool chainable = true;
  //! Must run with parallelism 1 (non-parallel sources, merged file sinks).
  bool single_instance = false;
  //! Called once per subtask.
  std::function<std::unique_ptr<stream_operator>()> make_operator;
};

struct job_edge {
  vertex_id from;
  //! Side output tag of `from`; empty for the main output.
  std::string tag;
  vertex_id to;
  //! 0, or 1 for the second input of a two-input operator.
  int to_input = 0;
  partitioning part = partitioning::automatic;
  writer_factory make_writer;
  //! Empty batches of the edge's record type: a receiving process decodes into them.
  batch_factory make_batch;
};

class job_graph {
public:
  //! Adds a vertex; its id is assigned here (ids are in topological order).
  job_vertex& add_vertex(job_vertex v) {
    v.id = vertex_id(static_cast<int>(vertices_.size()));
    vertices_.push_back(std::move(v));
    return vertices_.back();
  }
  void add_edge(job_edge e) { edges_.push_back(std::move(e)); }

  job_vertex& vertex(vertex_id id) { return vertices_.at(id.value()); }
  const job_vertex& vertex(vertex_id id) const { return vertices_.at(id.value()); }
  const std::vector<job_vertex>& vertices() const { return vertices_; }
  std::vector<job_vertex>& vertices() { return vertices_; }
  const std::vector<job_edge>& edges() const { return edges_; }

private:
  std::vector<job_vertex> vertices_;
  std::vector<job_edge> edges_;
};

} // namespace spate
