#define BOOST_TEST_MODULE log
#include <boost/test/unit_test.hpp>

#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>
#include <spdlog/sinks/ostream_sink.h>

#include "spate/core/config.hpp"
#include "spate/core/error.hpp"
#include "spate/core/log.hpp"

using namespace spate;
using nlohmann::json;

namespace {

spdlog::details::log_msg message(std::string_view text,
                                 spdlog::level::level_enum lvl = spdlog::level::warn) {
  return spdlog::details::log_msg(spdlog::source_loc{}, "spate", lvl,
                                  spdlog::string_view_t(text.data(), text.size()));
}

//! Everything `log()` writes while the guard lives, in `out`.
struct captured {
  std::ostringstream out;
  std::vector<spdlog::sink_ptr> saved;
  captured() {
    saved = log().sinks();
    log().sinks().assign({std::make_shared<spdlog::sinks::ostream_sink_mt>(out)});
  }
  ~captured() {
    log().sinks() = saved;
    set_log_format(log_format::text);
    log().set_level(spdlog::level::info);
  }
};

} // namespace

BOOST_AUTO_TEST_CASE(a_json_line_is_one_object_with_the_message_escaped) {
  auto line = json_log_line(message("a \"quoted\"\nline\twith \\ and \x01"), nullptr);
  BOOST_TEST(line.find('\n') == std::string::npos, line);
  auto j = json::parse(line);
  BOOST_TEST(j["message"].get<std::string>() == "a \"quoted\"\nline\twith \\ and \x01");
  BOOST_TEST(j["level"].get<std::string>() == "warning");
  BOOST_TEST(j["logger"].get<std::string>() == "spate");
  auto time = j["time"].get<std::string>();
  BOOST_TEST(time.size() == 24u, time);
  BOOST_TEST(time.back() == 'Z', time);
  BOOST_TEST(time[10] == 'T', time);
  BOOST_TEST(!j.contains("job"));
  BOOST_TEST(!j.contains("subtask"));
}

BOOST_AUTO_TEST_CASE(invalid_utf8_becomes_a_replacement_character_not_an_exception) {
  auto line = json_log_line(message("bytes \xff\xfe end"), nullptr);
  auto j = json::parse(line);
  BOOST_TEST(j["message"].get<std::string>() == "bytes \xEF\xBF\xBD\xEF\xBF\xBD end");
}

BOOST_AUTO_TEST_CASE(the_threads_context_adds_job_task_and_subtask) {
  log_context ctx{"f6183aa1cc75f53dd315f033cd705650", "wordcount", "Source: gen -> Split", 1};
  BOOST_TEST(current_log_context() == nullptr);
  {
    log_scope scope(&ctx);
    BOOST_TEST(current_log_context() == &ctx);
    log_context inner{"other", "", "", 0};
    {
      log_scope nested(&inner);
      BOOST_TEST(current_log_context() == &inner);
    }
    BOOST_TEST(current_log_context() == &ctx);
    // Another thread has its own (empty) context.
    const log_context* seen = &ctx;
    std::thread([&] { seen = current_log_context(); }).join();
    BOOST_TEST(seen == nullptr);
  }
  BOOST_TEST(current_log_context() == nullptr);

  auto j = json::parse(json_log_line(message("x"), &ctx));
  BOOST_TEST(j["job"].get<std::string>() == ctx.job_id);
  BOOST_TEST(j["job_name"].get<std::string>() == "wordcount");
  BOOST_TEST(j["task"].get<std::string>() == "Source: gen -> Split");
  BOOST_TEST(j["subtask"].get<int>() == 1);
}

BOOST_AUTO_TEST_CASE(configure_log_switches_the_format_and_level_of_the_logger) {
  captured cap;
  configuration cfg;
  cfg.set(options::log_format, "json");
  cfg.set(options::log_level, "warn");
  configure_log(cfg);
  log_context ctx{"j1", "job", "Map", 0};
  {
    log_scope scope(&ctx);
    log().info("not shown at warn");
    log().warn("shown {}", 42);
  }
  log().flush();
  std::istringstream lines(cap.out.str());
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    auto j = json::parse(line); // every line is JSON
    BOOST_TEST(j["message"].get<std::string>() == "shown 42");
    BOOST_TEST(j["task"].get<std::string>() == "Map");
    ++n;
  }
  BOOST_TEST(n == 1, cap.out.str());

  cap.out.str("");
  configuration text;
  text.set(options::log_format, "text");
  text.set(options::log_level, "info");
  configure_log(text);
  log().info("plain");
  log().flush();
  BOOST_TEST(cap.out.str().find("info plain") != std::string::npos, cap.out.str());
  BOOST_TEST(cap.out.str().find('{') == std::string::npos, cap.out.str());
}

BOOST_AUTO_TEST_CASE(unknown_values_are_refused_naming_the_key) {
  for (auto [key, value] :
       {std::pair{options::log_format, "xml"}, std::pair{options::log_level, "loud"}}) {
    configuration cfg;
    cfg.set(key, value);
    try {
      configure_log(cfg);
      BOOST_FAIL(std::string(key) + "=" + value + " was accepted");
    } catch (const error& e) {
      BOOST_TEST(e.code() == errc::invalid_argument);
      BOOST_TEST(std::string(e.what()).find(key) != std::string::npos, e.what());
      BOOST_TEST(std::string(e.what()).find(value) != std::string::npos, e.what());
    }
  }
}
