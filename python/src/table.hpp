// The Table API's native half: SQL from Python through sql::table_environment, and Python
// scalar functions callable from SQL.
#pragma once

#include <nanobind/nanobind.h>

namespace spate::python {

//! Adds _TableEnvironment, _TableResult and _register_function to the module.
void add_table_api(nanobind::module_& m);

} // namespace spate::python
