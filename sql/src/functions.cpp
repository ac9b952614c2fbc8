#include "spate/sql/functions.hpp"

#include <map>
#include <mutex>

#include "spate/core/error.hpp"

namespace spate::sql {

namespace {

struct registry {
  std::mutex mu;
  std::map<std::string, std::shared_ptr<const function_definition>> classes;
};

//! The Nexmark project's UDF (q14): how often the first character of `c` occurs in `s`; 0
//! for a NULL string, as its eval(String, String) returns.
std::int64_t count_char(std::optional<std::string_view> s, std::optional<std::string_view> c) {
  if (!s || !c || c->empty())
    return 0;
  // The first character of `c`, UTF-8 encoded: one to four bytes.
  std::size_t len = 1;
  while (len < c->size() && len < 4 && (static_cast<unsigned char>((*c)[len]) & 0xC0) == 0x80)
    ++len;
  const std::string_view ch = c->substr(0, len);
  std::int64_t n = 0;
  for (std::size_t at = s->find(ch); at != std::string_view::npos; at = s->find(ch, at + len))
    ++n;
  return n;
}

registry& functions() {
  static registry* r = [] {
    auto* made = new registry;
    // Built-in classes, registered before anyone asks (the registry's own lock is not held).
    function_definition d;
    d.class_name = "com.github.nexmark.flink.udf.CountChar";
    udf_detail::describe_args(
        d,
        static_cast<std::tuple<std::optional<std::string_view>, std::optional<std::string_view>>*>(
            nullptr));
    d.result = udf_detail::result<std::int64_t>::type();
    d.make = [] {
      return std::unique_ptr<scalar_function>(
          new udf_detail::callable<
              decltype(&count_char), std::int64_t,
              std::tuple<std::optional<std::string_view>, std::optional<std::string_view>>>(
              &count_char));
    };
    const std::string name = d.class_name;
    made->classes[name] = std::make_shared<const function_definition>(std::move(d));
    return made;
  }();
  return *r;
}

} // namespace

void register_function(function_definition def) {
  if (def.class_name.empty())
    throw error(errc::invalid_argument, "a function class needs a name");
  if (!def.make)
    throw error(errc::invalid_argument,
                "function class '" + def.class_name + "' has no way to make an instance");
  if (def.accepts_null.size() != def.parameters.size())
    def.accepts_null.resize(def.parameters.size(), false);
  auto& r = functions();
  std::lock_guard<std::mutex> lock(r.mu);
  auto name = def.class_name;
  r.classes[name] = std::make_shared<const function_definition>(std::move(def));
}

std::shared_ptr<const function_definition> find_function_class(const std::string& class_name) {
  auto& r = functions();
  std::lock_guard<std::mutex> lock(r.mu);
  auto it = r.classes.find(class_name);
  return it == r.classes.end() ? nullptr : it->second;
}

std::vector<std::string> function_classes() {
  auto& r = functions();
  std::lock_guard<std::mutex> lock(r.mu);
  std::vector<std::string> out;
  for (const auto& [name, def] : r.classes)
    out.push_back(name);
  return out;
}

} // namespace spate::sql
