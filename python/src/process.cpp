#include "process.hpp"

#include <nanobind/stl/string.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "spate/state/keyed_state_backend.hpp"
#include "spate/state/state_descriptors.hpp"

namespace spate::python {

using keyed_context = keyed_process_context<std::string, std::string>;

namespace {

//! Keyed state of one subtask, by name; every value encoded (values.hpp).
class state_access {
public:
  explicit state_access(runtime_context* rc) : rc_(rc) {}
  keyed_state_backend& backend() {
    if (rc_ == nullptr || rc_->state == nullptr)
      throw std::runtime_error("keyed state is only available to a keyed function once open");
    return *rc_->state;
  }
  runtime_context* rc_;
};

class value_handle {
public:
  explicit value_handle(value_state<std::string>* s) : s_(s) {}
  nb::object value() {
    const std::string* v = s_->get();
    if (v == nullptr)
      return nb::none();
    return nb::steal(load(*v, "ValueState.value"));
  }
  void update(nb::handle v) {
    if (v.is_none())
      s_->clear();
    else
      s_->update(dump(v.ptr(), "ValueState.update"));
  }
  void clear() { s_->clear(); }

private:
  value_state<std::string>* s_;
};

class list_handle {
public:
  explicit list_handle(list_state<std::string>* s) : s_(s) {}
  nb::list get() {
    nb::list out;
    for (auto& v : s_->get())
      out.append(nb::steal(load(v, "ListState.get")));
    return out;
  }
  void add(nb::handle v) { s_->add(dump(v.ptr(), "ListState.add")); }
  void add_all(nb::iterable vs) {
    std::vector<std::string> all;
    for (nb::handle v : vs)
      all.push_back(dump(v.ptr(), "ListState.add_all"));
    s_->add_all(std::move(all));
  }
  void update(nb::iterable vs) {
    std::vector<std::string> all;
    for (nb::handle v : vs)
      all.push_back(dump(v.ptr(), "ListState.update"));
    s_->update(std::move(all));
  }
  void clear() { s_->clear(); }

private:
  list_state<std::string>* s_;
};

class map_handle {
public:
  explicit map_handle(map_state<std::string, std::string>* s) : s_(s) {}
  nb::object get(nb::handle k) {
    auto v = s_->get(dump(k.ptr(), "MapState.get"));
    if (!v)
      return nb::none();
    return nb::steal(load(*v, "MapState.get"));
  }
  void put(nb::handle k, nb::handle v) {
    s_->put(dump(k.ptr(), "MapState.put"), dump(v.ptr(), "MapState.put"));
  }
  void remove(nb::handle k) { s_->remove(dump(k.ptr(), "MapState.remove")); }
  bool contains(nb::handle k) { return s_->contains(dump(k.ptr(), "MapState.contains")); }
  nb::list items() {
    nb::list out;
    for (auto& [k, v] : s_->entries())
      out.append(nb::make_tuple(nb::steal(load(k, "MapState.items")),
                                nb::steal(load(v, "MapState.items"))));
    return out;
  }
  bool is_empty() { return s_->is_empty(); }
  void clear() { s_->clear(); }

private:
  map_state<std::string, std::string>* s_;
};

//! What process_element and on_timer see: the record's timestamp, the current key, timers.
class context_handle {
public:
  keyed_context* ctx = nullptr;
  const std::string* key = nullptr;
  timestamp ts = no_timestamp;

  nb::object timestamp_of() const {
    if (ts == no_timestamp)
      return nb::none();
    return nb::int_(ts);
  }
  nb::object current_key() const {
    if (key == nullptr)
      return nb::none();
    return nb::steal(load(*key, "get_current_key"));
  }
  keyed_context& live() const {
    if (ctx == nullptr)
      throw std::runtime_error("the context is only valid during the call it was passed to");
    return *ctx;
  }
};

} // namespace

//! One subtask's copy of the Python function and what calling it needs.
struct process_instance {
  nb::object fn;
  nb::object process_element;
  nb::object on_timer;
  nb::object close;
  nb::object py_context;            // the Python Context wrapper
  context_handle* native = nullptr; // inside py_context
  state_access access{nullptr};
};

python_keyed_process::python_keyed_process(py_ref fn, std::string name)
    : fn_(std::move(fn)), where_("Python process" + (name.empty() ? "" : " '" + name + "'")) {}

python_keyed_process::python_keyed_process(const python_keyed_process& other)
    : keyed_process_function(other), fn_(other.fn_), where_(other.where_) {}

python_keyed_process::~python_keyed_process() {
  if (!instance_)
    return;
  if (!python_alive()) {
    (void)instance_.release(); // the interpreter is ending: left to the process's end
    return;
  }
  gil_hold gil;
  instance_.reset();
}

void python_keyed_process::open(runtime_context& rc) {
  gil_hold gil;
  instance_ = std::make_unique<process_instance>();
  instance_->access = state_access(&rc);
  try {
    // spate.datastream.functions._open_keyed_process(fn, access, subtask, parallelism, name):
    // (instance, process_element, on_timer, close, context wrapper, native context).
    nb::object helper =
        nb::module_::import_("spate.datastream.functions").attr("_open_keyed_process");
    nb::object access = nb::cast(&instance_->access, nb::rv_policy::reference);
    nb::object native = nb::cast(context_handle{});
    nb::tuple r = nb::cast<nb::tuple>(
        helper(nb::handle(fn_.get()), access, native, rc.subtask, rc.parallelism, rc.task_name));
    instance_->fn = r[0];
    instance_->process_element = r[1];
    instance_->on_timer = r[2];
    instance_->close = r[3];
    instance_->py_context = r[4];
    instance_->native = nb::inst_ptr<context_handle>(native); // the wrapper keeps it alive
  } catch (nb::python_error& e) {
    throw std::runtime_error(where_ + " could not be opened: " + e.what());
  }
}

namespace {

//! Calls `f(args...)`, then emits every value it returns or yields.
template <class... A>
void call_and_emit(PyObject* f, const std::string& where, keyed_context& ctx, A... args) {
  owned r(PyObject_CallFunctionObjArgs(f, args..., nullptr));
  if (r.p == nullptr)
    throw_python_error(where);
  emit_each(r.p, where, [&](std::string v) { ctx.output(std::move(v)); });
}

} // namespace

void python_keyed_process::process_element(const keyed_record& value, context& ctx) {
  std::vector<keyed_record> one{value};
  std::vector<timestamp> ts{ctx.record_timestamp()};
  process_bundle(
      one, ts, [](const std::string&) {}, ctx);
}

void python_keyed_process::process_bundle(std::vector<keyed_record>& values,
                                          const std::vector<timestamp>& timestamps,
                                          const std::function<void(const std::string&)>& select,
                                          context& ctx) {
  gil_hold gil;
  context_handle& native = *instance_->native;
  native.ctx = &ctx;
  for (std::size_t i = 0; i < values.size(); ++i) {
    select(values[i].first);
    ctx.set_record(timestamps[i]);
    native.key = &values[i].first;
    native.ts = timestamps[i];
    owned v(load(values[i].second, where_.c_str()));
    call_and_emit(instance_->process_element.ptr(), where_, ctx, v.p, instance_->py_context.ptr());
  }
  native.ctx = nullptr;
  native.key = nullptr;
}

void python_keyed_process::on_timer(timestamp ts, context& ctx) {
  gil_hold gil;
  context_handle& native = *instance_->native;
  native.ctx = &ctx;
  native.key = &ctx.current_key();
  native.ts = ts;
  owned t(PyLong_FromLongLong(ts));
  call_and_emit(instance_->on_timer.ptr(), where_ + " on_timer", ctx, t.p,
                instance_->py_context.ptr());
  native.ctx = nullptr;
  native.key = nullptr;
}

void python_keyed_process::close() {
  if (!instance_)
    return;
  gil_hold gil;
  owned r(PyObject_CallNoArgs(instance_->close.ptr()));
  if (r.p == nullptr)
    throw_python_error(where_ + " close");
}

void add_process_api(nb::module_& m) {
  nb::class_<value_handle>(m, "_ValueState")
      .def("value", &value_handle::value)
      .def("update", &value_handle::update, nb::arg("value").none())
      .def("clear", &value_handle::clear);
  nb::class_<list_handle>(m, "_ListState")
      .def("get", &list_handle::get)
      .def("add", &list_handle::add, nb::arg("value").none())
      .def("add_all", &list_handle::add_all)
      .def("update", &list_handle::update)
      .def("clear", &list_handle::clear);
  nb::class_<map_handle>(m, "_MapState")
      .def("get", &map_handle::get, nb::arg("key").none())
      .def("put", &map_handle::put, nb::arg("key").none(), nb::arg("value").none())
      .def("remove", &map_handle::remove, nb::arg("key").none())
      .def("contains", &map_handle::contains, nb::arg("key").none())
      .def("items", &map_handle::items)
      .def("is_empty", &map_handle::is_empty)
      .def("clear", &map_handle::clear);
  nb::class_<state_access>(m, "_StateAccess")
      .def("value_state",
           [](state_access& a, const std::string& name) {
             return value_handle(
                 &a.backend().get_value_state(value_state_descriptor<std::string>{name}));
           })
      .def("list_state",
           [](state_access& a, const std::string& name) {
             return list_handle(
                 &a.backend().get_list_state(list_state_descriptor<std::string>{name}));
           })
      .def("map_state", [](state_access& a, const std::string& name) {
        return map_handle(
            &a.backend().get_map_state(map_state_descriptor<std::string, std::string>{name}));
      });
  nb::class_<context_handle>(m, "_Context")
      .def(nb::init<>())
      .def("timestamp", &context_handle::timestamp_of)
      .def("get_current_key", &context_handle::current_key)
      .def("register_event_time_timer",
           [](context_handle& c, std::int64_t t) {
             c.live().timer_service().register_event_time_timer(t);
           })
      .def("register_processing_time_timer",
           [](context_handle& c, std::int64_t t) {
             c.live().timer_service().register_processing_time_timer(t);
           })
      .def("delete_event_time_timer",
           [](context_handle& c, std::int64_t t) {
             c.live().timer_service().delete_event_time_timer(t);
           })
      .def("delete_processing_time_timer",
           [](context_handle& c, std::int64_t t) {
             c.live().timer_service().delete_processing_time_timer(t);
           })
      .def("current_watermark",
           [](context_handle& c) { return c.live().timer_service().current_watermark(); })
      .def("current_processing_time",
           [](context_handle& c) { return c.live().timer_service().current_processing_time(); });
}

} // namespace spate::python
