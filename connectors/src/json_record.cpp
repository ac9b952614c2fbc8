#include "spate/connectors/json_record.hpp"

#include <cstdint>
#include <cstring>

#include <simdjson.h>

namespace spate {

namespace od = simdjson::ondemand;

const char* json_field::type_name() const {
  switch (kind) {
    case string:
      return "string";
    case number:
      return "number";
    case boolean:
      return "boolean";
    case object:
      return "object";
    case array:
      return "array";
    case absent:
    case null:
      break;
  }
  return "null";
}

struct json_record_reader::impl {
  od::parser parser;
  //! The record, then SIMDJSON_PADDING zero bytes (simdjson reads past the end).
  std::string padded;
};

json_record_reader::json_record_reader(std::vector<std::string> fields)
    : names_(std::move(fields)), fields_(names_.size()), impl_(std::make_unique<impl>()) {}

json_record_reader::json_record_reader(const json_record_reader& other)
    : json_record_reader(other.names_) {}

json_record_reader& json_record_reader::operator=(const json_record_reader& other) {
  if (this != &other)
    *this = json_record_reader(other.names_);
  return *this;
}

json_record_reader::json_record_reader(json_record_reader&&) noexcept = default;
json_record_reader& json_record_reader::operator=(json_record_reader&&) noexcept = default;
json_record_reader::~json_record_reader() = default;

json_record json_record_reader::record() const {
  return json_record(fields_.data(), fields_.size(), line_);
}

namespace {

// The JSON token without the whitespace raw_json_token() keeps after it.
std::string_view trim_right(std::string_view s) {
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

const char* type_name(od::json_type t) {
  switch (t) {
    case od::json_type::array:
      return "array";
    case od::json_type::object:
      return "object";
    case od::json_type::number:
      return "number";
    case od::json_type::string:
      return "string";
    case od::json_type::boolean:
      return "boolean";
    case od::json_type::null:
      break;
  }
  return "null";
}

} // namespace

bool json_record_reader::read(std::string_view line) {
  impl& m = *impl_;
  const std::size_t need = line.size() + simdjson::SIMDJSON_PADDING;
  if (m.padded.size() < need)
    m.padded.resize(need);
  std::memcpy(m.padded.data(), line.data(), line.size());
  std::memset(m.padded.data() + line.size(), 0, simdjson::SIMDJSON_PADDING);
  const char* begin = m.padded.data();
  line_ = line;
  for (auto& f : fields_)
    f = json_field{};

  od::document doc;
  // Messages are built only for a bad record: nothing is allocated for a good one.
  auto not_json = [&](simdjson::error_code e, std::size_t field = SIZE_MAX) {
    why_ = "not JSON";
    if (field != SIZE_MAX)
      why_ += " in field '" + names_[field] + "'";
    const char* at = nullptr; // where simdjson stopped, when it says (0 tells nothing)
    if (!doc.current_location().get(at) && at > begin && at <= begin + line.size())
      why_ += " at byte " + std::to_string(at - begin);
    why_ += ": ";
    why_ += simdjson::error_message(e);
    return false;
  };
  if (auto e = m.parser.iterate(simdjson::padded_string_view(begin, line.size(), m.padded.size()))
                   .get(doc)) {
    why_ = std::string("not JSON: ") + simdjson::error_message(e);
    return false;
  }
  od::object top;
  if (auto e = doc.get_object().get(top)) {
    od::json_type t;
    // simdjson checks here too that the record ends with the object's '}'.
    if (e == simdjson::INCORRECT_TYPE && !doc.type().get(t) && t != od::json_type::object) {
      why_ = std::string("not a JSON object but ") + type_name(t);
      return false;
    }
    if (e == simdjson::INCORRECT_TYPE) // not even the start of a JSON value
      e = simdjson::TAPE_ERROR;
    return not_json(e);
  }
  for (auto item : top) {
    od::field kv;
    if (auto e = std::move(item).get(kv))
      return not_json(e);
    // Keys are compared in place, unescaped only when they hold an escape.
    const od::raw_json_string raw = kv.key();
    std::size_t slot = 0;
    while (slot < names_.size() && !raw.unsafe_is_equal(names_[slot]))
      ++slot;
    if (slot == names_.size()) {
      const char* c = raw.raw();
      while (*c != '"' && *c != '\\') // stage 1 checked that the string is closed
        ++c;
      if (*c == '"')
        continue; // not declared: simdjson skips its value
      std::string_view key;
      if (auto e = kv.unescaped_key().get(key))
        return not_json(e);
      slot = 0;
      while (slot < names_.size() && names_[slot] != key)
        ++slot;
      if (slot == names_.size())
        continue;
    }
    json_field& f = fields_[slot];
    od::value v = kv.value();
    od::json_type t;
    if (auto e = v.type().get(t))
      return not_json(e, slot);
    simdjson::error_code e = simdjson::SUCCESS;
    switch (t) {
      case od::json_type::string:
        f.kind = json_field::string;
        e = v.get_string().get(f.text);
        break;
      case od::json_type::number:
        f.kind = json_field::number;
        f.text = trim_right(v.raw_json_token());
        e = v.get_double().get(f.number_value);
        break;
      case od::json_type::boolean:
        f.kind = json_field::boolean;
        f.text = trim_right(v.raw_json_token());
        e = v.get_bool().get(f.bool_value);
        break;
      case od::json_type::null: {
        bool null = false;
        f.kind = json_field::null;
        f.text = "null";
        e = v.is_null().get(null);
        if (!e && !null)
          e = simdjson::INCORRECT_TYPE;
        break;
      }
      case od::json_type::object: {
        od::object o;
        f.kind = json_field::object;
        e = v.get_object().get(o);
        if (!e)
          e = o.raw_json().get(f.text);
        f.text = trim_right(f.text);
        break;
      }
      case od::json_type::array: {
        od::array a;
        f.kind = json_field::array;
        e = v.get_array().get(a);
        if (!e)
          e = a.raw_json().get(f.text);
        f.text = trim_right(f.text);
        break;
      }
    }
    if (e)
      return not_json(e, slot);
  }
  const char* rest = nullptr;
  if (!doc.current_location().get(rest)) {
    why_ = "not JSON: text after the object at byte " + std::to_string(rest - begin);
    return false;
  }
  return true;
}

} // namespace spate
