#include "spate/sqlrt/row.hpp"

#include <algorithm>
#include <numeric>

namespace spate::sql {

const char* short_string(row_kind k) {
  switch (k) {
    case row_kind::insert:
      return "+I";
    case row_kind::update_before:
      return "-U";
    case row_kind::update_after:
      return "+U";
    case row_kind::delete_:
      return "-D";
  }
  return "+I";
}

void row::compact(const std::vector<std::uint8_t>& is_string) {
  if (string_bytes() == 0)
    return;
  std::string out(buf_.data(), header_bytes(slots_));
  std::swap(out, buf_);
  // `out` holds the old buffer now: copy each live string back.
  for (std::size_t i = 0; i < slots_ && i < is_string.size(); ++i) {
    if (!is_string[i] || is_null(i))
      continue;
    const std::uint64_t s = raw(i);
    const std::size_t off = static_cast<std::size_t>(s >> 32);
    const std::size_t len = static_cast<std::size_t>(s & 0xffffffffu);
    set_string(i, std::string_view(out).substr(off, len));
  }
}

void row::assign(row_kind kind, std::size_t slots, std::string_view buffer) {
  if (buffer.size() < header_bytes(slots))
    throw error(errc::codec, "SQL row: " + std::to_string(buffer.size()) + " bytes cannot hold " +
                                 std::to_string(slots) + " slots");
  kind_ = kind;
  slots_ = static_cast<std::uint32_t>(slots);
  buf_.assign(buffer.data(), buffer.size());
}

slot_kind slot_kind_of(const logical_type& t) {
  switch (t.kind) {
    case logical_kind::float_:
    case logical_kind::double_:
      return slot_kind::floating;
    case logical_kind::decimal:
      return slot_kind::decimal;
    case logical_kind::char_:
    case logical_kind::varchar:
    case logical_kind::binary:
    case logical_kind::varbinary:
      return slot_kind::string;
    case logical_kind::row:
      return slot_kind::nested;
    case logical_kind::array:
    case logical_kind::multiset:
    case logical_kind::map:
      return slot_kind::string; // the encoding (collection.hpp)
    case logical_kind::symbol:
      throw error(errc::invalid_argument, "not supported yet: " + to_string(t) + " values");
    default:
      return slot_kind::integer;
  }
}

std::size_t slot_width(const logical_type& t) {
  if (t.kind != logical_kind::row)
    return 1;
  std::size_t n = 1;
  for (const auto& f : t.fields)
    n += slot_width(f.type);
  return n;
}

std::shared_ptr<const row_layout> element_layout(const logical_type& t) {
  if (t.kind == logical_kind::map && t.elements.size() == 2)
    return std::make_shared<const row_layout>(
        std::vector<logical_type>{t.elements[0], t.elements[1]});
  if ((t.kind == logical_kind::array || t.kind == logical_kind::multiset) && t.elements.size() == 1)
    return std::make_shared<const row_layout>(std::vector<logical_type>{t.elements[0]});
  throw error(errc::invalid_argument, "SQL: " + to_string(t) + " without its element types");
}

namespace {
void add_slots(row_layout& l, const logical_type& t) {
  l.types.push_back(t);
  l.kinds.push_back(slot_kind_of(t));
  l.is_string.push_back(l.kinds.back() == slot_kind::string ? 1 : 0);
  l.elements.push_back(t.kind == logical_kind::array || t.kind == logical_kind::map ||
                               t.kind == logical_kind::multiset
                           ? element_layout(t)
                           : nullptr);
  if (t.kind == logical_kind::row)
    for (const auto& f : t.fields)
      add_slots(l, f.type);
}
} // namespace

row_layout::row_layout(std::vector<logical_type> column_types) : columns(std::move(column_types)) {
  for (const auto& t : columns) {
    first.push_back(kinds.size());
    add_slots(*this, t);
    width.push_back(kinds.size() - first.back());
  }
}

bool equal_values(const row& a, const row& b, const row_layout& layout) {
  if (a.kind() != b.kind() || a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a.is_null(i) != b.is_null(i))
      return false;
    if (a.is_null(i))
      continue;
    if (i < layout.kinds.size() && layout.kinds[i] == slot_kind::string) {
      if (a.get_string(i) != b.get_string(i))
        return false;
    } else if (a.raw(i) != b.raw(i)) {
      return false;
    }
  }
  return true;
}

} // namespace spate::sql
