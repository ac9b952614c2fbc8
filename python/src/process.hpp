// Python KeyedProcessFunctions: keyed state (value, list, map) and timers from Python,
// called a batch at a time.
#pragma once

#include <nanobind/nanobind.h>

#include <string>
#include <utility>

#include "spate/api/process.hpp"

#include "common.hpp"

namespace spate::python {

//! A record of a keyed Python stream: the key's encoding and the value's.
using keyed_record = std::pair<std::string, std::string>;

struct process_instance;

//! The KeyedProcessFunction `fn` (a Python object with open, process_element, on_timer,
//! close) as the runtime's keyed_process_function. Each subtask gets its own copy of `fn`
//! (copy.copy), opened with a RuntimeContext whose states live in the subtask's RocksDB.
class python_keyed_process final
    : public keyed_process_function<std::string, keyed_record, std::string> {
public:
  python_keyed_process(py_ref fn, std::string name);
  python_keyed_process(const python_keyed_process& other);
  ~python_keyed_process() override;

  void open(runtime_context& rc) override;
  void process_element(const keyed_record& value, context& ctx) override;
  bool bundles() const override { return true; }
  void process_bundle(std::vector<keyed_record>& values, const std::vector<timestamp>& timestamps,
                      const std::function<void(const std::string&)>& select, context& ctx) override;
  void on_timer(timestamp ts, context& ctx) override;
  void close() override;

private:
  py_ref fn_;
  std::string where_;
  std::unique_ptr<process_instance> instance_;
};

//! Adds the classes Python's RuntimeContext, states and contexts wrap.
void add_process_api(nb::module_& m);

} // namespace spate::python
