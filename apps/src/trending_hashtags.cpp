// trending_hashtags: posts per hashtag in 60 s event-time windows, as the
// Kafka + Spark "trending topics" project computes them, plus a ranking per
// window when printing.
#include <algorithm>
#include <charconv>
#include <cmath>

#include "spate/apps/event_time_jobs.hpp"
#include "spate/apps/json_writer.hpp"
#include "spate/core/error.hpp"
#include "spate/spate.hpp"

namespace spate::apps {

namespace {

const char* const job_name = "trending_hashtags";

//! Collects the counts of each window (the key is its end) and emits the
//! ranking when the watermark passes the window. Window results carry the
//! timestamp end - 1, so the watermark firing the timer at end - 1 comes after
//! every count of that window.
class ranking_function final
    : public keyed_process_function<timestamp, hashtag_count, std::string> {
public:
  explicit ranking_function(std::size_t top) : top_(top) {}

  void open(runtime_context& rc) override {
    counts_ = &rc.state->get_list_state(list_state_descriptor<hashtag_count>{"window-counts"});
  }

  void process_element(const hashtag_count& c, context& ctx) override {
    counts_->add(c);
    ctx.timer_service().register_event_time_timer(c.window_end - 1);
  }

  void on_timer(timestamp, context& ctx) override {
    std::vector<hashtag_count> all = counts_->get();
    counts_->clear();
    if (all.empty())
      return;
    std::sort(all.begin(), all.end(), [](const hashtag_count& a, const hashtag_count& b) {
      return a.count != b.count ? a.count > b.count : a.hashtag < b.hashtag;
    });
    std::string text = "window [" + format_iso8601(all.front().window_start) + ", " +
                       format_iso8601(all.front().window_end) + ") top hashtags:";
    for (std::size_t i = 0; i < all.size() && i < top_; ++i)
      text += "\n  " + std::to_string(i + 1) + ". " + all[i].hashtag + " (" +
              std::to_string(all[i].count) + ")";
    ctx.output(std::move(text));
  }

private:
  std::size_t top_;
  list_state<hashtag_count>* counts_ = nullptr;
};

// The generator's vocabulary.
const std::vector<std::string>& hashtags() {
  static const std::vector<std::string> v{
      "#futbol", "#musica",     "#tecnologia", "#IA",      "#python",  "#cine",    "#viajes",
      "#LaLiga", "#elecciones", "#clima",      "#series",  "#recetas", "#bitcoin", "#libros",
      "#gaming", "#moda",       "#salud",      "#viernes", "#Madrid",  "#CDMX"};
  return v;
}

// Cumulative Zipf weights 1/(k+1)^1.1 over hashtags(), most popular first.
const std::vector<double>& hashtag_cdf() {
  static const std::vector<double> cdf = [] {
    std::vector<double> c;
    double sum = 0;
    for (std::size_t k = 0; k < hashtags().size(); ++k)
      c.push_back(sum += 1.0 / std::pow(static_cast<double>(k + 1), 1.1));
    for (auto& x : c)
      x /= sum;
    return c;
  }();
  return cdf;
}

const std::vector<std::string> first_names{"ana",    "carlos", "lucia", "javier",  "maria",
                                           "diego",  "sofia",  "pablo", "valeria", "andres",
                                           "camila", "mateo",  "elena", "jorge",   "paula"};

const std::vector<std::string> phrases_with_tag{"Hoy todo el mundo habla de {}",
                                                "No me puedo creer lo que está pasando con {}",
                                                "¿Alguien más siguiendo {} esta noche?",
                                                "Mi opinión sobre {}: increíble",
                                                "Qué semana tan intensa para {}",
                                                "Último momento: novedades sobre {}",
                                                "Hilo sobre {}, os leo",
                                                "{} es tendencia y con razón"};

const std::vector<std::string> phrases_without_tag{"Buenos días a todos", "Qué calor hace hoy",
                                                   "¿Alguien recomienda una buena película?",
                                                   "Por fin es fin de semana"};

template <class V>
const typename V::value_type& pick(const V& v, record_rng& rng) {
  return v[static_cast<std::size_t>(rng() % v.size())];
}

} // namespace

//! The fields read from each post, in this order.
json_record_format<hashtag_post> hashtag_post_format() {
  return {{"timestamp", "hashtag_principal"},
          [](const json_record& r) -> std::optional<hashtag_post> {
            timestamp ts = timestamp_field(r[0], "timestamp", /*numbers=*/true, /*text=*/false);
            const json_field& tag = r[1];
            if (tag.missing())
              return std::nullopt; // a post without hashtag: filtered, not malformed
            if (tag.kind != json_field::string)
              throw bad_record(std::string("field 'hashtag_principal' is not a string but ") +
                               tag.type_name());
            if (tag.text.empty())
              return std::nullopt;
            return hashtag_post{std::string(tag.text), ts};
          }};
}

trending_hashtags_options parse_trending_hashtags_args(const std::vector<std::string>& args) {
  trending_hashtags_options o;
  auto a = parse_job_args(job_name, args, {"--out-of-orderness", "--events-per-second"});
  if (auto it = a.find("--out-of-orderness"); it != a.end())
    o.out_of_orderness = seconds_arg(job_name, it->first, it->second, /*allow_zero=*/true);
  if (auto it = a.find("--events-per-second"); it != a.end())
    o.events_per_second = positive_number_arg(job_name, it->first, it->second);
  return o;
}

stream<hashtag_count> trending_hashtag_counts(stream<std::string> lines,
                                              const trending_hashtags_options& o) {
  auto posts =
      parse_json_records<hashtag_post>(lines, job_name, hashtag_post_format(), o.malformed);
  int p = explicit_parallelism(posts);
  auto timed = posts.assign_timestamps_and_watermarks(
      watermark_strategy<hashtag_post>::for_bounded_out_of_orderness(o.out_of_orderness)
          .with_timestamp_assigner([](const hashtag_post& post) { return post.ts; }));
  if (p > 0)
    timed.set_parallelism(p);
  return timed.key_by([](const hashtag_post& post) -> const std::string& { return post.hashtag; })
      .window(tumbling_event_time_windows::of(o.window_size))
      .aggregate(count_records<hashtag_post>{},
                 [](const std::string& tag, const time_window& w,
                    const std::vector<std::int64_t>& count, collector<hashtag_count>& out) {
                   out.collect(hashtag_count{w.start, w.end, tag, count.front()});
                 })
      .name("Hashtag Windows")
      .uid("trending-hashtags-windows");
}

stream<std::string> hashtag_counts_to_json(stream<hashtag_count> counts) {
  return counts
      .map([](const hashtag_count& c) {
        std::string out;
        out.reserve(80 + c.hashtag.size());
        json_object_writer(out)
            .field("window_start", c.window_start)
            .field("window_end", c.window_end)
            .field("hashtag", c.hashtag)
            .field("count", c.count)
            .close();
        return out;
      })
      .name("To JSON");
}

stream<std::string> hashtag_rankings(stream<hashtag_count> counts, std::size_t top) {
  return counts.key_by([](const hashtag_count& c) { return c.window_end; })
      .process(ranking_function(top))
      .name("Rank Hashtags")
      .uid("trending-hashtags-ranking");
}

stream<std::string> trending_hashtags(stream<std::string> lines,
                                      const trending_hashtags_options& o) {
  return hashtag_counts_to_json(trending_hashtag_counts(std::move(lines), o));
}

std::string make_trending_hashtags_record(std::uint64_t seq, record_rng& rng,
                                          double events_per_second) {
  constexpr timestamp start = 1704067200000; // 2024-01-01T00:00:00Z
  // Written straight into the line, fields in this order; the rng draws in
  // the order they always had, so a seed gives the records it always gave.
  char number[24];
  const std::size_t number_size = static_cast<std::size_t>(
      std::to_chars(number, number + sizeof number, rng() % 100).ptr - number);
  // The number is drawn before the name: the order g++ evaluated the
  // expression `name + "_" + std::to_string(number)` these records came from.
  const std::string& name = pick(first_names, rng);
  bool has_tag = rng.uniform() >= 0.05;
  const std::string* tag = nullptr;
  const std::string* phrase = nullptr;
  if (has_tag) {
    const auto& cdf = hashtag_cdf();
    auto k = std::upper_bound(cdf.begin(), cdf.end(), rng.uniform()) - cdf.begin();
    tag = &hashtags()[std::min<std::size_t>(static_cast<std::size_t>(k), cdf.size() - 1)];
    phrase = &pick(phrases_with_tag, rng);
  } else {
    phrase = &pick(phrases_without_tag, rng);
  }
  timestamp ts = start + std::llround(static_cast<double>(seq) * 1000.0 / events_per_second);
  // Mostly a little out of order; now and then a straggler, possibly too late.
  if (rng.uniform() < 0.01)
    ts -= static_cast<timestamp>(rng.uniform() * 90'000);
  else
    ts += static_cast<timestamp>(rng.uniform() * 4'000) - 2'000;

  std::string out;
  out.reserve(160);
  json_object_writer w(out);
  w.field("usuario", {name, "_", std::string_view(number, number_size)});
  if (tag) {
    std::string_view p = *phrase;
    auto at = p.find("{}");
    w.field("texto", {p.substr(0, at), *tag, p.substr(at + 2)});
    w.field("hashtag_principal", *tag);
  } else {
    w.field("texto", *phrase);
  }
  w.field("timestamp", static_cast<double>(ts) / 1000.0).close();
  return out;
}

source_spec<std::string> trending_hashtags_generator(generator_options g,
                                                     double events_per_second) {
  return generator_source<std::string>(
      g,
      [events_per_second](std::uint64_t seq, record_rng& rng) {
        return make_trending_hashtags_record(seq, rng, events_per_second);
      },
      "trending-hashtags-generator");
}

void register_trending_hashtags(job_registry& registry) {
  job_definition job;
  job.name = job_name;
  job.description = "posts per hashtag in 60 s event-time windows, JSON lines {\"window_start\", "
                    "\"window_end\", \"hashtag\", \"count\"}; rankings too with --output print";
  // The demo: event time runs 20x faster than the wall clock (100 records/s,
  // 5 per second of event time), so a window closes every 3 s.
  job.default_input = "generator:rate=100";
  job.build = [](job_setup& setup) {
    auto o = parse_trending_hashtags_args(setup.args);
    double eps = o.events_per_second;
    auto counts = trending_hashtag_counts(setup.input_lines([eps](const generator_options& g) {
      return trending_hashtags_generator(g, eps);
    }),
                                          o);
    auto json = hashtag_counts_to_json(counts);
    if (setup.output.kind == output_spec::print)
      setup.write_output(json.union_with(hashtag_rankings(counts, o.ranking_size)));
    else
      setup.write_output(json);
  };
  registry.add(std::move(job));
}

} // namespace spate::apps
