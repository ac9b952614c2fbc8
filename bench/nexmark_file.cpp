#include "nexmark_file.hpp"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <type_traits>
#include <vector>

#include "spate/connectors/file_sink.hpp"
#include "spate/connectors/generator_source.hpp"
#include "spate/connectors/text_file_source.hpp"
#include "spate/core/error.hpp"
#include "spate/nexmark/queries.hpp"

namespace spate::nexmark {

namespace {

//! Appends `v` in decimal (std::to_chars: no temporary string).
void append_number(std::string& out, std::int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

//! Appends `v` with three decimals, as printf's "%.3f" (std::to_chars with a precision
//! is specified to give printf's text, without its locale and varargs machinery).
void append_price(std::string& out, double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, 3);
  out.append(buf, r.ptr);
}

//! A result line: its fields joined by commas, built in one string.
template <class... Fields>
std::string csv_line(const Fields&... fields) {
  std::string out;
  out.reserve(64);
  bool first = true;
  auto add = [&](const auto& f) {
    if (!first)
      out.push_back(',');
    first = false;
    using F = std::decay_t<decltype(f)>;
    if constexpr (std::is_same_v<F, std::string>)
      out += f;
    else
      append_number(out, f);
  };
  (add(fields), ...);
  return out;
}

void put(std::string& out, const std::string& s) {
  out.push_back('\t');
  out += s;
}

void put(std::string& out, std::int64_t v) {
  out.push_back('\t');
  append_number(out, v);
}

//! The tab-separated fields of a line, without copying.
class fields {
public:
  explicit fields(const std::string& line) : line_(line) {
    std::size_t start = 0;
    for (;;) {
      auto tab = line.find('\t', start);
      parts_.emplace_back(line.data() + start,
                          (tab == std::string::npos ? line.size() : tab) - start);
      if (tab == std::string::npos)
        break;
      start = tab + 1;
    }
  }
  std::size_t size() const { return parts_.size(); }
  std::string text(std::size_t i) const { return std::string(parts_.at(i)); }
  std::int64_t number(std::size_t i) const {
    auto f = parts_.at(i);
    std::int64_t v = 0;
    auto r = std::from_chars(f.data(), f.data() + f.size(), v);
    if (r.ec != std::errc() || r.ptr != f.data() + f.size())
      bad("field " + std::to_string(i) + " is not a number: '" + std::string(f) + "'");
    return v;
  }
  [[noreturn]] void bad(const std::string& what) const {
    throw error(errc::invalid_argument,
                "nexmark event line: " + what + " in '" + line_.substr(0, 80) + "'");
  }

private:
  const std::string& line_;
  std::vector<std::string_view> parts_;
};

template <class T, class F>
void write_lines(stream<T> s, F format, const std::string& output_dir) {
  s.map(format).name("To Text").add_sink(file_sink(output_dir, file_sink_mode::per_subtask));
}

} // namespace

std::string format_event_line(const event& e) {
  std::string out;
  switch (e.type) {
    case event_type::person: {
      const auto& p = e.new_person;
      out = "P";
      put(out, p.id);
      put(out, p.name);
      put(out, p.email_address);
      put(out, p.credit_card);
      put(out, p.city);
      put(out, p.state);
      put(out, p.date_time);
      put(out, p.extra);
      break;
    }
    case event_type::auction: {
      const auto& a = e.new_auction;
      out = "A";
      put(out, a.id);
      put(out, a.item_name);
      put(out, a.description);
      put(out, a.initial_bid);
      put(out, a.reserve);
      put(out, a.date_time);
      put(out, a.expires);
      put(out, a.seller);
      put(out, a.category);
      put(out, a.extra);
      break;
    }
    case event_type::bid: {
      const auto& b = e.new_bid;
      out = "B";
      put(out, b.auction);
      put(out, b.bidder);
      put(out, b.price);
      put(out, b.channel);
      put(out, b.url);
      put(out, b.date_time);
      put(out, b.extra);
      break;
    }
  }
  return out;
}

event parse_event_line(const std::string& line) {
  fields f(line);
  event e;
  std::string kind = f.text(0);
  if (kind == "P" && f.size() == 9) {
    e.type = event_type::person;
    auto& p = e.new_person;
    p = person{f.number(1), f.text(2), f.text(3),   f.text(4),
               f.text(5),   f.text(6), f.number(7), f.text(8)};
  } else if (kind == "A" && f.size() == 11) {
    e.type = event_type::auction;
    e.new_auction = auction{f.number(1), f.text(2),   f.text(3),   f.number(4), f.number(5),
                            f.number(6), f.number(7), f.number(8), f.number(9), f.text(10)};
  } else if (kind == "B" && f.size() == 8) {
    e.type = event_type::bid;
    e.new_bid =
        bid{f.number(1), f.number(2), f.number(3), f.text(4), f.text(5), f.number(6), f.text(7)};
  } else {
    f.bad("expected P with 9, A with 11 or B with 8 fields, got " + std::to_string(f.size()));
  }
  return e;
}

void write_event_files(const generator_config& config, std::int64_t events, const std::string& dir,
                       int parts) {
  std::filesystem::create_directories(dir);
  std::vector<std::ofstream> out;
  for (int i = 0; i < parts; ++i) {
    auto path = dir + "/part-" + std::to_string(i);
    out.emplace_back(path, std::ios::binary | std::ios::trunc);
    if (!out.back())
      throw error(errc::io, "cannot write " + path);
  }
  event_generator gen(config);
  record_rng rng;
  for (std::int64_t n = 0; n < events; ++n) {
    auto seq = static_cast<std::uint64_t>(n);
    rng.seed(generator_record_seed(config.seed, seq));
    event e;
    gen.fill_in(seq, rng, e);
    auto& o = out[static_cast<std::size_t>(n % parts)];
    o << format_event_line(e) << '\n';
  }
  for (int i = 0; i < parts; ++i)
    if (!out[static_cast<std::size_t>(i)].flush())
      throw error(errc::io, "cannot write " + dir + "/part-" + std::to_string(i));
}

void build_file_query(environment& env, const std::string& query, const std::string& path,
                      const std::string& output_dir) {
  using namespace std::chrono_literals;
  auto in = split(
      env.add_source(text_file_source(path))
          .map([](const std::string& line) { return parse_event_line(line); })
          .name("Parse Events")
          .assign_timestamps_and_watermarks(
              watermark_strategy<event>::for_bounded_out_of_orderness(4s).with_timestamp_assigner(
                  [](const event& e) { return e.date_time(); })));
  if (query == "q0")
    write_lines(
        q0(in.bids),
        [](const bid& b) {
          event e;
          e.new_bid = b;
          return format_event_line(e);
        },
        output_dir);
  else if (query == "q1")
    write_lines(
        q1(in.bids),
        [](const q1_result& r) {
          std::string out = csv_line(r.auction, r.bidder);
          out.push_back(',');
          append_price(out, r.price);
          out.push_back(',');
          append_number(out, r.date_time);
          out.push_back(',');
          out += r.extra;
          return out;
        },
        output_dir);
  else if (query == "q2")
    write_lines(
        q2(in.bids), [](const q2_result& r) { return csv_line(r.auction, r.price); }, output_dir);
  else if (query == "q5")
    write_lines(
        q5(in.bids), [](const q5_result& r) { return csv_line(r.auction, r.num, r.window_start); },
        output_dir);
  else if (query == "q3")
    write_lines(
        q3(in.auctions, in.persons),
        [](const q3_result& r) { return csv_line(r.name, r.city, r.state, r.id); }, output_dir);
  else if (query == "q7")
    write_lines(
        q7(in.bids),
        [](const bid& b) {
          event e;
          e.new_bid = b;
          return format_event_line(e);
        },
        output_dir);
  else if (query == "q8")
    write_lines(
        q8(in.persons, in.auctions),
        [](const q8_result& r) { return csv_line(r.id, r.name, r.start_time); }, output_dir);
  else
    throw error(errc::invalid_argument,
                "nexmark: --events-file runs q0, q1, q2, q3, q5, q7 or q8, not '" + query + "'");
}

} // namespace spate::nexmark
