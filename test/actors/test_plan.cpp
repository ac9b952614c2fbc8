// Planning a job graph into tasks (make_plan): resolved parallelism and
// partitioning, chains of forward edges, channel numbering and the errors
// for graphs that cannot run. Graphs are built directly; make_plan never
// calls the operator factories, so vertices carry none.
#define BOOST_TEST_MODULE plan
#include <boost/test/unit_test.hpp>

#include <ostream>
#include <string>
#include <vector>

#include "plan.hpp"
#include "spate/actors/job_graph.hpp"
#include "spate/core/config.hpp"
#include "spate/core/error.hpp"

namespace spate {
// For Boost.Test's messages.
inline std::ostream& operator<<(std::ostream& os, partitioning p) { return os << to_string(p); }
} // namespace spate

using namespace spate;
using spate::detail::make_plan;

namespace {

using ints = std::vector<int>;

//! Adds a vertex and returns its id as an int.
int add(job_graph& g, const std::string& name, int parallelism = -1, bool source = false) {
  job_vertex v;
  v.name = name;
  v.parallelism = parallelism;
  v.is_source = source;
  return g.add_vertex(std::move(v)).id.value();
}

int add_source(job_graph& g, const std::string& name, int parallelism = -1) {
  return add(g, name, parallelism, true);
}

//! Adds an edge and returns its index.
int connect(job_graph& g, int from, int to, partitioning part = partitioning::automatic,
            int to_input = 0) {
  job_edge e;
  e.from = vertex_id(from);
  e.to = vertex_id(to);
  e.part = part;
  e.to_input = to_input;
  g.add_edge(std::move(e));
  return static_cast<int>(g.edges().size()) - 1;
}

configuration config_with(const std::string& key, const std::string& value) {
  configuration c;
  c.set(key, value);
  return c;
}

//! A predicate for BOOST_CHECK_EXCEPTION: spate::error with `code` whose
//! message contains `needle` (the message is logged when it does not match).
auto error_is(errc code, std::string needle) {
  return [code, needle](const spate::error& e) {
    bool ok = e.code() == code && std::string(e.what()).find(needle) != std::string::npos;
    if (!ok)
      BOOST_TEST_MESSAGE("unexpected error (" << to_string(e.code()) << "): " << e.what());
    return ok;
  };
}

//! source -> map -> sink, every vertex at `parallelism`, joined by `part`.
job_graph pipeline(int parallelism, partitioning part = partitioning::automatic) {
  job_graph g;
  int s = add_source(g, "generator", parallelism);
  int m = add(g, "Map", parallelism);
  int k = add(g, "Print", parallelism);
  connect(g, s, m, part);
  connect(g, m, k, partitioning::automatic);
  return g;
}

} // namespace

BOOST_AUTO_TEST_CASE(equal_parallelism_forward_pipeline_is_one_chain) {
  auto g = pipeline(2);
  auto plan = make_plan(g, configuration{});
  BOOST_TEST_REQUIRE(plan.chains.size() == 1u);
  const auto& c = plan.chains[0];
  BOOST_TEST(c.head == 0);
  BOOST_TEST(c.members == (ints{0, 1, 2}), boost::test_tools::per_element());
  BOOST_TEST(c.parallelism == 2);
  BOOST_TEST(c.name == "Source: generator -> Map -> Print");
  BOOST_TEST(c.in_edges.empty());
  BOOST_TEST(c.out_edges.empty());
  for (int v = 0; v < 3; ++v) {
    BOOST_TEST(plan.vertices[v].chain == 0);
    BOOST_TEST(plan.vertices[v].parallelism == 2);
  }
  for (int e = 0; e < 2; ++e) {
    BOOST_TEST(plan.edges[e].part == partitioning::forward);
    BOOST_TEST(plan.edges[e].chained);
  }
}

BOOST_AUTO_TEST_CASE(explicit_forward_edge_chains_like_automatic) {
  auto g = pipeline(3, partitioning::forward);
  auto plan = make_plan(g, configuration{});
  BOOST_TEST_REQUIRE(plan.chains.size() == 1u);
  BOOST_TEST(plan.chains[0].members == (ints{0, 1, 2}), boost::test_tools::per_element());
  BOOST_TEST(plan.chains[0].parallelism == 3);
}

BOOST_AUTO_TEST_CASE(a_change_of_parallelism_breaks_the_chain_and_rebalances) {
  job_graph g;
  int s = add_source(g, "generator", 3);
  int m = add(g, "Map", 2);
  int k = add(g, "Print", 2);
  int e0 = connect(g, s, m);
  int e1 = connect(g, m, k);
  auto plan = make_plan(g, configuration{});

  BOOST_TEST(plan.edges[e0].part == partitioning::rebalance);
  BOOST_TEST(!plan.edges[e0].chained);
  BOOST_TEST(plan.edges[e1].part == partitioning::forward);
  BOOST_TEST(plan.edges[e1].chained);

  BOOST_TEST_REQUIRE(plan.chains.size() == 2u);
  BOOST_TEST(plan.chains[0].name == "Source: generator");
  BOOST_TEST(plan.chains[0].members == (ints{s}), boost::test_tools::per_element());
  BOOST_TEST(plan.chains[0].parallelism == 3);
  BOOST_TEST(plan.chains[0].in_edges.empty());
  BOOST_TEST(plan.chains[0].out_edges == (ints{e0}), boost::test_tools::per_element());

  BOOST_TEST(plan.chains[1].name == "Map -> Print");
  BOOST_TEST(plan.chains[1].head == m);
  BOOST_TEST(plan.chains[1].members == (ints{m, k}), boost::test_tools::per_element());
  BOOST_TEST(plan.chains[1].parallelism == 2);
  BOOST_TEST(plan.chains[1].in_edges == (ints{e0}), boost::test_tools::per_element());
  BOOST_TEST(plan.chains[1].out_edges.empty());

  BOOST_TEST(plan.vertices[s].chain == 0);
  BOOST_TEST(plan.vertices[m].chain == 1);
  BOOST_TEST(plan.vertices[k].chain == 1);

  // All-to-all: every one of the 3 source subtasks sends to each Map subtask.
  BOOST_TEST(plan.channels_per_target(g, e0) == 3);
  BOOST_TEST(plan.channel_base(g, e0) == 0);
  BOOST_TEST(plan.input_channels(g, 1) == 3);
  BOOST_TEST(plan.input_channels(g, 0) == 0);
}

BOOST_AUTO_TEST_CASE(a_hash_edge_breaks_the_chain_even_at_equal_parallelism) {
  job_graph g;
  int s = add_source(g, "generator", 2);
  job_vertex reduce;
  reduce.name = "Keyed Reduce";
  reduce.parallelism = 2;
  reduce.keyed = true;
  int r = g.add_vertex(std::move(reduce)).id.value();
  int k = add(g, "Print", 2);
  int e0 = connect(g, s, r, partitioning::hash);
  int e1 = connect(g, r, k);
  auto plan = make_plan(g, configuration{});

  BOOST_TEST(plan.edges[e0].part == partitioning::hash);
  BOOST_TEST(!plan.edges[e0].chained);
  BOOST_TEST(plan.edges[e1].chained);
  BOOST_TEST_REQUIRE(plan.chains.size() == 2u);
  BOOST_TEST(plan.chains[0].name == "Source: generator");
  BOOST_TEST(plan.chains[1].name == "Keyed Reduce -> Print");
  BOOST_TEST(plan.chains[1].in_edges == (ints{e0}), boost::test_tools::per_element());
  BOOST_TEST(plan.channels_per_target(g, e0) == 2);
  BOOST_TEST(plan.input_channels(g, 1) == 2);
}

BOOST_AUTO_TEST_CASE(rebalance_and_broadcast_edges_break_the_chain) {
  for (auto part : {partitioning::rebalance, partitioning::broadcast}) {
    BOOST_TEST_CONTEXT("partitioning " << to_string(part)) {
      auto g = pipeline(2, part);
      auto plan = make_plan(g, configuration{});
      BOOST_TEST(plan.edges[0].part == part);
      BOOST_TEST(!plan.edges[0].chained);
      BOOST_TEST(plan.edges[1].chained);
      BOOST_TEST_REQUIRE(plan.chains.size() == 2u);
      BOOST_TEST(plan.chains[0].name == "Source: generator");
      BOOST_TEST(plan.chains[1].name == "Map -> Print");
      BOOST_TEST(plan.channels_per_target(g, 0) == 2);
      BOOST_TEST(plan.input_channels(g, 1) == 2);
    }
  }
}

BOOST_AUTO_TEST_CASE(disable_chaining_on_either_side_breaks_the_chain) {
  {
    auto g = pipeline(2);
    g.vertices()[1].chainable = false; // Map
    auto plan = make_plan(g, configuration{});
    BOOST_TEST(!plan.edges[0].chained);
    BOOST_TEST(!plan.edges[1].chained);
    BOOST_TEST_REQUIRE(plan.chains.size() == 3u);
    BOOST_TEST(plan.chains[1].name == "Map");
    // Still forward: one channel per target subtask.
    BOOST_TEST(plan.edges[0].part == partitioning::forward);
    BOOST_TEST(plan.channels_per_target(g, 0) == 1);
    BOOST_TEST(plan.input_channels(g, 1) == 1);
  }
  {
    auto g = pipeline(2);
    g.vertices()[2].chainable = false; // Print
    auto plan = make_plan(g, configuration{});
    BOOST_TEST(plan.edges[0].chained);
    BOOST_TEST(!plan.edges[1].chained);
    BOOST_TEST_REQUIRE(plan.chains.size() == 2u);
    BOOST_TEST(plan.chains[0].name == "Source: generator -> Map");
    BOOST_TEST(plan.chains[0].out_edges == (ints{1}), boost::test_tools::per_element());
    BOOST_TEST(plan.chains[1].name == "Print");
  }
}

BOOST_AUTO_TEST_CASE(two_inputs_number_channels_in_edge_order) {
  // a (p2) --forward--> co (p2) <--rebalance-- b (p3); co -> sink chains.
  job_graph g;
  int a = add_source(g, "left", 2);
  int b = add_source(g, "right", 3);
  int co = add(g, "Co-Map", 2);
  int k = add(g, "Print", 2);
  int ea = connect(g, a, co, partitioning::automatic, 0);
  int eb = connect(g, b, co, partitioning::automatic, 1);
  int ek = connect(g, co, k);
  auto plan = make_plan(g, configuration{});

  BOOST_TEST(plan.edges[ea].part == partitioning::forward);
  BOOST_TEST(plan.edges[eb].part == partitioning::rebalance);
  // A vertex with two inputs heads its own chain, even behind a forward edge.
  BOOST_TEST(!plan.edges[ea].chained);
  BOOST_TEST(!plan.edges[eb].chained);
  BOOST_TEST(plan.edges[ek].chained);
  BOOST_TEST_REQUIRE(plan.chains.size() == 3u);
  int cc = plan.vertices[co].chain;
  BOOST_TEST(cc == 2);
  BOOST_TEST(plan.vertices[k].chain == cc);
  BOOST_TEST(plan.chains[cc].name == "Co-Map -> Print");
  BOOST_TEST(plan.chains[cc].in_edges == (ints{ea, eb}), boost::test_tools::per_element());

  BOOST_TEST(plan.channels_per_target(g, ea) == 1);
  BOOST_TEST(plan.channels_per_target(g, eb) == 3);
  BOOST_TEST(plan.channel_base(g, ea) == 0);
  BOOST_TEST(plan.channel_base(g, eb) == 1);
  BOOST_TEST(plan.input_channels(g, cc) == 4);
}

BOOST_AUTO_TEST_CASE(channel_base_follows_the_order_edges_were_added) {
  // The same two inputs, the all-to-all edge added first: it takes channels
  // 0..2 and the forward edge channel 3.
  job_graph g;
  int a = add_source(g, "left", 2);
  int b = add_source(g, "right", 3);
  int co = add(g, "Co-Map", 2);
  int eb = connect(g, b, co, partitioning::hash, 1);
  int ea = connect(g, a, co, partitioning::forward, 0);
  auto plan = make_plan(g, configuration{});
  int cc = plan.vertices[co].chain;
  BOOST_TEST(plan.chains[cc].in_edges == (ints{eb, ea}), boost::test_tools::per_element());
  BOOST_TEST(plan.channel_base(g, eb) == 0);
  BOOST_TEST(plan.channel_base(g, ea) == 3);
  BOOST_TEST(plan.input_channels(g, cc) == 4);
}

BOOST_AUTO_TEST_CASE(union_of_three_inputs_sums_their_channels) {
  job_graph g;
  int a = add_source(g, "a", 4);
  int b = add_source(g, "b", 1);
  int c = add_source(g, "c", 4);
  int u = add(g, "Union", 4);
  int ea = connect(g, a, u);                          // forward: 1
  int eb = connect(g, b, u);                          // rebalance from 1: 1
  int ec = connect(g, c, u, partitioning::broadcast); // 4
  auto plan = make_plan(g, configuration{});
  int uc = plan.vertices[u].chain;
  BOOST_TEST(plan.edges[eb].part == partitioning::rebalance);
  BOOST_TEST(plan.channel_base(g, ea) == 0);
  BOOST_TEST(plan.channel_base(g, eb) == 1);
  BOOST_TEST(plan.channel_base(g, ec) == 2);
  BOOST_TEST(plan.channels_per_target(g, ec) == 4);
  BOOST_TEST(plan.input_channels(g, uc) == 6);
}

BOOST_AUTO_TEST_CASE(side_branches_are_out_edges_of_the_chain) {
  // source -> map (chained), map -> sink p1 (rebalance), map -> print (chained)
  job_graph g;
  int s = add_source(g, "generator", 2);
  int m = add(g, "Map", 2);
  int p = add(g, "Print", 2);
  int one = add(g, "Collect", 1);
  connect(g, s, m);
  int ep = connect(g, m, p);
  int eo = connect(g, m, one);
  auto plan = make_plan(g, configuration{});
  BOOST_TEST_REQUIRE(plan.chains.size() == 2u);
  BOOST_TEST(plan.chains[0].members == (ints{s, m, p}), boost::test_tools::per_element());
  BOOST_TEST(plan.chains[0].name == "Source: generator -> Map -> Print");
  BOOST_TEST(plan.edges[ep].chained);
  BOOST_TEST(plan.chains[0].out_edges == (ints{eo}), boost::test_tools::per_element());
  BOOST_TEST(plan.chains[1].name == "Collect");
  BOOST_TEST(plan.channels_per_target(g, eo) == 2);
}

BOOST_AUTO_TEST_CASE(default_parallelism_comes_from_the_configuration) {
  {
    auto g = pipeline(-1);
    auto plan = make_plan(g, configuration{});
    for (const auto& v : plan.vertices)
      BOOST_TEST(v.parallelism == 1);
    BOOST_TEST(plan.chains[0].parallelism == 1);
  }
  {
    auto g = pipeline(-1);
    g.vertices()[2].parallelism = 1; // Print: explicit
    auto plan = make_plan(g, config_with(options::parallelism, "3"));
    BOOST_TEST(plan.vertices[0].parallelism == 3);
    BOOST_TEST(plan.vertices[1].parallelism == 3);
    BOOST_TEST(plan.vertices[2].parallelism == 1);
    BOOST_TEST(plan.edges[1].part == partitioning::rebalance);
    BOOST_TEST_REQUIRE(plan.chains.size() == 2u);
    BOOST_TEST(plan.chains[0].parallelism == 3);
    BOOST_TEST(plan.chains[1].parallelism == 1);
  }
  {
    // A single-instance vertex stays at 1 whatever the default.
    auto g = pipeline(-1);
    g.vertices()[0].single_instance = true;
    auto plan = make_plan(g, config_with(options::parallelism, "4"));
    BOOST_TEST(plan.vertices[0].parallelism == 1);
    BOOST_TEST(plan.vertices[1].parallelism == 4);
    BOOST_TEST(plan.edges[0].part == partitioning::rebalance);
    BOOST_TEST(plan.chains.size() == 2u);
  }
}

BOOST_AUTO_TEST_CASE(max_parallelism_comes_from_the_vertex_or_the_configuration) {
  auto g = pipeline(2);
  g.vertices()[1].max_parallelism = 256;
  {
    auto plan = make_plan(g, configuration{});
    BOOST_TEST(plan.vertices[0].max_parallelism == default_max_parallelism);
    BOOST_TEST(plan.vertices[1].max_parallelism == 256);
  }
  {
    auto plan = make_plan(g, config_with(options::max_parallelism, "64"));
    BOOST_TEST(plan.vertices[0].max_parallelism == 64);
    BOOST_TEST(plan.vertices[1].max_parallelism == 256);
    BOOST_TEST(plan.vertices[2].max_parallelism == 64);
  }
}

BOOST_AUTO_TEST_CASE(uids_are_kept_or_derived_deterministically) {
  auto g = pipeline(2);
  g.vertices()[1].uid = "my-map";
  auto first = make_plan(g, configuration{});
  BOOST_TEST(first.vertices[1].uid == "my-map");
  BOOST_TEST(!first.vertices[0].uid.empty());
  BOOST_TEST(first.vertices[0].uid != first.vertices[2].uid);

  // The same graph again: the same uids.
  auto g2 = pipeline(2);
  g2.vertices()[1].uid = "my-map";
  auto second = make_plan(g2, configuration{});
  for (int v = 0; v < 3; ++v)
    BOOST_TEST(second.vertices[v].uid == first.vertices[v].uid, "vertex " << v);

  // A derived uid depends on the uids of the vertex's inputs.
  auto g3 = pipeline(2);
  g3.vertices()[1].uid = "other-map";
  auto third = make_plan(g3, configuration{});
  BOOST_TEST(third.vertices[0].uid == first.vertices[0].uid);
  BOOST_TEST(third.vertices[2].uid != first.vertices[2].uid);

  // And on its name.
  auto g4 = pipeline(2);
  g4.vertices()[1].uid = "my-map";
  g4.vertices()[0].name = "numbers";
  auto fourth = make_plan(g4, configuration{});
  BOOST_TEST(fourth.vertices[0].uid != first.vertices[0].uid);
}

BOOST_AUTO_TEST_CASE(bad_configuration_is_rejected) {
  auto g = pipeline(-1);
  BOOST_CHECK_EXCEPTION(make_plan(g, config_with(options::parallelism, "0")), spate::error,
                        error_is(errc::invalid_argument, "parallelism 0 must be at least 1"));
  BOOST_CHECK_EXCEPTION(make_plan(g, config_with(options::max_parallelism, "0")), spate::error,
                        error_is(errc::invalid_argument, "max parallelism 0 is outside 1..32768"));
  BOOST_CHECK_EXCEPTION(make_plan(g, config_with(options::max_parallelism, "32769")), spate::error,
                        error_is(errc::invalid_argument, "max parallelism 32769 is outside"));
}

BOOST_AUTO_TEST_CASE(bad_parallelism_names_the_operator) {
  {
    auto g = pipeline(5);
    g.vertices()[1].max_parallelism = 4;
    BOOST_CHECK_EXCEPTION(make_plan(g, configuration{}), spate::error,
                          error_is(errc::invalid_argument,
                                   "operator 'Map': parallelism 5 is above its max parallelism 4"));
  }
  {
    auto g = pipeline(2);
    g.vertices()[2].max_parallelism = 40000;
    BOOST_CHECK_EXCEPTION(
        make_plan(g, configuration{}), spate::error,
        error_is(errc::invalid_argument, "operator 'Print': max parallelism 40000 is above 32768"));
  }
  {
    // The default parallelism is checked against each vertex's max too.
    auto g = pipeline(-1);
    configuration c;
    c.set(options::parallelism, "3");
    c.set(options::max_parallelism, "2");
    BOOST_CHECK_EXCEPTION(make_plan(g, c), spate::error,
                          error_is(errc::invalid_argument,
                                   "operator 'generator': parallelism 3 is above its max "
                                   "parallelism 2"));
  }
  {
    auto g = pipeline(2);
    g.vertices()[2].single_instance = true;
    BOOST_CHECK_EXCEPTION(make_plan(g, configuration{}), spate::error,
                          error_is(errc::invalid_argument,
                                   "operator 'Print' runs as a single instance; it cannot have "
                                   "parallelism 2"));
  }
}

BOOST_AUTO_TEST_CASE(forward_across_a_change_of_parallelism_is_rejected) {
  job_graph g;
  int s = add_source(g, "generator", 1);
  int m = add(g, "Map", 2);
  connect(g, s, m, partitioning::forward);
  BOOST_CHECK_EXCEPTION(make_plan(g, configuration{}), spate::error,
                        error_is(errc::invalid_argument,
                                 "forward partitioning from 'generator' (parallelism 1) to 'Map' "
                                 "(parallelism 2) does not allow a change of parallelism"));
}

BOOST_AUTO_TEST_CASE(a_keyed_operator_needs_a_hash_input) {
  for (auto part : {partitioning::automatic, partitioning::forward, partitioning::rebalance}) {
    BOOST_TEST_CONTEXT("partitioning " << to_string(part)) {
      auto g = pipeline(2, part);
      g.vertices()[1].name = "Keyed Reduce";
      g.vertices()[1].keyed = true;
      BOOST_CHECK_EXCEPTION(
          make_plan(g, configuration{}), spate::error,
          error_is(errc::internal, "keyed operator 'Keyed Reduce' must be fed by a keyed stream"));
    }
  }
}

BOOST_AUTO_TEST_CASE(a_uid_used_twice_is_rejected) {
  auto g = pipeline(2);
  g.vertices()[0].uid = "same";
  g.vertices()[2].uid = "same";
  BOOST_CHECK_EXCEPTION(make_plan(g, configuration{}), spate::error,
                        error_is(errc::invalid_argument, "operator uid 'same' is used twice"));
}

BOOST_AUTO_TEST_CASE(sources_without_inputs_and_others_with_them) {
  {
    // A non-source vertex with no input.
    job_graph g;
    add_source(g, "generator", 1);
    add(g, "Orphan", 1);
    BOOST_CHECK_EXCEPTION(make_plan(g, configuration{}), spate::error,
                          error_is(errc::internal, "operator 'Orphan' has inconsistent inputs"));
  }
  {
    // A source with an input.
    job_graph g;
    int a = add_source(g, "generator", 1);
    int b = add_source(g, "second", 1);
    connect(g, a, b);
    BOOST_CHECK_EXCEPTION(make_plan(g, configuration{}), spate::error,
                          error_is(errc::internal, "operator 'second' has inconsistent inputs"));
  }
}

BOOST_AUTO_TEST_CASE(a_cycle_or_an_edge_to_a_missing_vertex_is_rejected) {
  auto back = pipeline(1);
  connect(back, 2, 1); // Print -> Map: a cycle
  BOOST_CHECK_EXCEPTION(
      make_plan(back, configuration{}), spate::error,
      error_is(errc::invalid_argument, "the edge from vertex 2 to vertex 1 does not lead forward"));
  auto self = pipeline(1);
  connect(self, 1, 1);
  BOOST_CHECK_EXCEPTION(make_plan(self, configuration{}), spate::error,
                        error_is(errc::invalid_argument, "must not have cycles"));
  auto missing = pipeline(1);
  connect(missing, 1, 7);
  BOOST_CHECK_EXCEPTION(make_plan(missing, configuration{}), spate::error,
                        error_is(errc::invalid_argument, "from vertex 1 to vertex 7"));
}
