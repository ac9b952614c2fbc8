// The SQL client of `spate sql` (Flink's sql-client), `spate sql -m` and `spate run --sql`.
//
// Statements are read line by line (readline on a terminal, with the history in
// ~/.spate_sql_history; plain lines from a pipe) and run once a line ends one with ';'.
// Embedded, they run in this process's table_environment; with -m, DDL and SET stay in the
// client's session and an INSERT (or statement set) or a query is sent to the JobManager as
// POST /jobs {"sql": the session's SET and DDL statements, then the statement}, which plans it
// on every process of the cluster; a query's rows come back through
// GET /jobs/:jobid/results (query_results.hpp) and show as embedded ones do (result_view.hpp).
#include "sql_client.hpp"

#include <readline/history.h>
#include <readline/readline.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "query_results.hpp"
#include "rest_client.hpp"
#include "rest_tls.hpp"
#include "result_view.hpp"
#include "spate/checkpoints/checkpoint_config.hpp"
#include "spate/cluster/config_file.hpp"
#include "spate/core/error.hpp"
#include "spate/sql/parser.hpp"
#include "spate/sqlrt/table_environment.hpp"

namespace spate::cluster_detail {

namespace {

using json = nlohmann::json;

// ---------------------------------------------------------------------------------------------
// The JobManager's REST API

//! The REST API of -m's JobManager (rest_client), and waiting for a job's end.
class rest_link {
public:
  rest_link(const std::string& jobmanager, const configuration& cfg) : rest_(jobmanager, cfg) {}

  json get(const std::string& path) { return rest_.get(path); }
  json post(const std::string& path, const json& body) { return rest_.post(path, body); }
  json patch(const std::string& path) { return rest_.patch(path); }

  //! Polls a job until it is FINISHED, CANCELED or FAILED; returns that state.
  std::string wait_terminal(const std::string& id) {
    for (;;) {
      auto state = get("/jobs/" + id)["state"].get<std::string>();
      if (state == "FINISHED" || state == "CANCELED" || state == "FAILED")
        return state;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }

private:
  rest_client rest_;
};

//! The configuration of -D options as a JSON object (POST /jobs "config").
json config_object(const std::vector<std::string>& assignments) {
  json config = json::object();
  for (auto& kv : assignments) {
    configuration c;
    c.set_from_assignment(kv);
    for (auto& [k, v] : c.entries())
      config[k] = v;
  }
  return config;
}

std::string absolute_path(const std::string& path) {
  std::error_code ec;
  auto absolute = std::filesystem::absolute(path, ec);
  if (ec)
    throw error(errc::io, "path '" + path + "' cannot be made absolute: " + ec.message());
  return absolute.lexically_normal().string();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    throw error(errc::not_found, "cannot read '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// ---------------------------------------------------------------------------------------------
// Statements as they are typed

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos)
    return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

//! Upper case with runs of white space as one space, without a final ';'.
std::string normalized(const std::string& s) {
  std::string out;
  bool space = false;
  for (char c : trim(s)) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space)
      out.push_back(' ');
    space = false;
    out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  while (!out.empty() && (out.back() == ';' || out.back() == ' '))
    out.pop_back();
  return out;
}

//! Whether `text` ends with a ';' outside strings, quoted names and comments (only white
//! space and comments after it).
bool ends_statement(const std::string& text) {
  enum { code, single, dquote, backtick, line_comment, block_comment } st = code;
  bool ended = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    char next = i + 1 < text.size() ? text[i + 1] : '\0';
    switch (st) {
      case code:
        if (c == '\'')
          st = single;
        else if (c == '"')
          st = dquote;
        else if (c == '`')
          st = backtick;
        else if (c == '-' && next == '-') {
          st = line_comment;
          ++i;
        } else if (c == '/' && next == '*') {
          st = block_comment;
          ++i;
        } else if (c == ';')
          ended = true;
        else if (!std::isspace(static_cast<unsigned char>(c)))
          ended = false;
        break;
      case single:
        if (c == '\'')
          st = code; // '' is a quote inside: the next character reopens the string
        break;
      case dquote:
        if (c == '"')
          st = code;
        break;
      case backtick:
        if (c == '`')
          st = code;
        break;
      case line_comment:
        if (c == '\n')
          st = code;
        break;
      case block_comment:
        if (c == '*' && next == '/') {
          st = code;
          ++i;
        }
        break;
    }
  }
  return ended && (st == code || st == line_comment);
}

std::string sql_quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    out.push_back(c);
    if (c == '\'')
      out.push_back('\'');
  }
  return out + "'";
}

// ---------------------------------------------------------------------------------------------
// Showing results

std::atomic<int> interrupted{0};
//! Ctrl-Cs since the client started (a script with -m stops after its next statement).
std::atomic<int> interrupts{0};
extern "C" void on_sql_interrupt(int) {
  interrupted.store(1);
  interrupts.fetch_add(1);
}

std::vector<std::string> cells_of(const sql::row& r, const sql::row_layout& layout) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < layout.columns.size(); ++i) {
    std::string v;
    sql::append_value(v, r, layout.first[i], layout);
    out.push_back(std::move(v));
  }
  return out;
}

//! A SHOW/DESCRIBE/EXPLAIN result as Flink's client prints it.
std::string static_table(const sql::table_result& r) {
  if (r.columns.size() == 1 && r.columns[0] == "result" && r.rows.size() == 1)
    return r.rows[0][0] + "\n"; // EXPLAIN: the plan's text
  if (r.rows.empty())
    return "Empty set\n";
  table_printer p;
  for (std::size_t i = 0; i < r.columns.size(); ++i) {
    std::size_t w = r.columns[i].size();
    for (auto& row : r.rows)
      if (i < row.size())
        w = std::max(w, row[i].size());
    p.widths.push_back(std::min<std::size_t>(w, 80));
  }
  std::string out = p.border() + p.line(r.columns) + p.border();
  for (auto& row : r.rows)
    out += p.line(row);
  out += p.border();
  out += std::to_string(r.rows.size()) + (r.rows.size() == 1 ? " row" : " rows") + " in set\n";
  return out;
}

// ---------------------------------------------------------------------------------------------
// The client

constexpr const char* help_text =
    "The following commands are available:\n\n"
    "CLEAR\t\tClears the current terminal.\n"
    "CREATE TABLE\tCreate table under current catalog and database.\n"
    "DROP TABLE\tDrop table with optional catalog and database. Syntax: 'DROP TABLE [IF "
    "EXISTS] <name>;'\n"
    "CREATE VIEW\tCreates a virtual table from a SQL query. Syntax: 'CREATE VIEW <name> AS "
    "<query>;'\n"
    "DESCRIBE\tDescribes the schema of a table with the given name.\n"
    "DROP VIEW\tDeletes a previously created virtual table. Syntax: 'DROP VIEW <name>;'\n"
    "EXPLAIN\t\tDescribes the execution plan of a query or table with the given name.\n"
    "HELP\t\tPrints the available commands.\n"
    "INSERT INTO\tInserts the results of a SQL SELECT query into a declared table sink.\n"
    "QUIT\t\tQuits the SQL CLI client (EXIT as well).\n"
    "SELECT\t\tExecutes a SQL SELECT query (with -m on the cluster, its rows shown here).\n"
    "SET\t\tSets a session configuration property. Syntax: \"SET '<key>'='<value>';\". Use "
    "\"SET;\" for listing all properties.\n"
    "RESET\t\tResets a session configuration property. Syntax: \"RESET '<key>';\". Use "
    "\"RESET;\" for reset all session properties.\n"
    "SHOW TABLES\tShows all registered tables.\n"
    "BEGIN STATEMENT SET\tBegins a statement set. Syntax: \"BEGIN STATEMENT SET;\"\n"
    "END\t\tEnds a statement set. Syntax: \"END;\"\n\n"
    "Result modes: SET 'sql-client.execution.result-mode' = 'tableau' (default: a bordered "
    "table as rows arrive), 'changelog' (+I[...], -U[...], +U[...], -D[...] lines) or 'table' "
    "(the materialized result, updated in place; Q returns to the prompt). Ctrl-C cancels a "
    "running query or INSERT.\n\n"
    "Hint: Make sure that a statement ends with \";\" for finalizing (multi-line) statements.\n";

constexpr const char* result_mode_key = "sql-client.execution.result-mode";

class sql_shell {
public:
  sql_shell(const sql_client_options& o, bool interactive)
      : o_(o), interactive_(interactive), terminal_out_(isatty(STDOUT_FILENO) != 0) {
    configuration cfg;
    if (o.remote) {
      cluster_cfg_ = load_cluster_config(o.config_dir, o.config);
      rest_ = std::make_unique<rest_link>(o.jobmanager, cluster_cfg_);
    }
    for (auto& kv : o.config)
      cfg.set_from_assignment(kv);
    if (o.parallelism != 0)
      cfg.set(options::parallelism, std::to_string(o.parallelism));
    env_ = std::make_unique<sql::table_environment>(cfg);
  }

  //! Takes one line of input. Returns false once the client should quit.
  bool feed(const std::string& line) {
    if (buffer_.empty() && trim(line).empty())
      return true;
    buffer_ += line;
    buffer_ += "\n";
    if (!complete(buffer_))
      return true;
    std::string text = buffer_;
    buffer_.clear();
    if (interactive_ && !text.empty()) {
      std::string h = trim(text);
      add_history(h.c_str());
    }
    return run(text);
  }

  bool pending() const { return !buffer_.empty() || !set_.empty(); }
  //! Ctrl-C at the prompt: the statement being typed (and a statement set) is dropped.
  void discard() {
    buffer_.clear();
    set_.clear();
  }
  bool failed() const { return failed_; }
  const char* prompt() const { return buffer_.empty() ? "spate SQL> " : "> "; }

  //! What is left when the input ended (a statement without ';').
  void finish_input() {
    if (!trim(buffer_).empty() || !set_.empty())
      report_error("the input ended inside a statement (statements end with ';')");
  }

private:
  bool complete(const std::string& text) const {
    if (!ends_statement(text))
      return false;
    // EXECUTE STATEMENT SET BEGIN ...; ...; END; holds ';' before its end.
    auto n = normalized(text);
    if (n.rfind("EXECUTE STATEMENT SET", 0) == 0)
      return n.size() >= 3 && n.compare(n.size() - 3, 3, "END") == 0;
    return true;
  }

  //! Runs a complete statement (or several on one line). False: quit.
  bool run(const std::string& text) {
    auto n = normalized(text);
    if (!set_.empty()) { // inside BEGIN STATEMENT SET;
      set_ += text;
      if (n == "END") {
        std::string block = std::move(set_);
        set_.clear();
        return execute(block);
      }
      if (n.rfind("INSERT ", 0) != 0 && n.rfind("EXECUTE INSERT ", 0) != 0) {
        set_.clear();
        report_error("only INSERT statements can be added to a statement set (the set is "
                     "discarded)");
        return keep_going();
      }
      info("Add SQL update statement to the statement set.");
      return true;
    }
    if (n == "QUIT" || n == "EXIT")
      return false;
    if (n == "HELP") {
      out(help_text);
      return true;
    }
    if (n == "CLEAR") {
      if (terminal_out_)
        out("\033[H\033[2J");
      return true;
    }
    if (n == "BEGIN STATEMENT SET") {
      set_ = text;
      info("Begin a statement set.");
      return true;
    }
    if (n == "END") {
      report_error("END without BEGIN STATEMENT SET");
      return keep_going();
    }
    return execute(text);
  }

  //! After an error: the interactive client goes on, a script stops.
  bool keep_going() const { return interactive_; }

  bool execute(const std::string& text) {
    try {
      auto statements = sql::parse_script(text);
      for (std::size_t i = 0; i < statements.size(); ++i) {
        std::size_t begin = statements[i].pos.offset;
        std::size_t end = i + 1 < statements.size() ? statements[i + 1].pos.offset : text.size();
        if (begin >= text.size() || begin >= end) { // no position: the whole text
          begin = 0;
          end = text.size();
        }
        execute_one(statements[i], text, text.substr(begin, end - begin));
      }
      return true;
    } catch (const std::exception& e) {
      report_error(e.what());
      return keep_going();
    }
  }

  void execute_one(const sql::statement& s, const std::string& text, const std::string& own) {
    interrupted.store(0);
    if (const auto* set = std::get_if<sql::set_option>(&s.body);
        set && set->key && *set->key == result_mode_key) {
      std::string v = set->value.value_or("");
      std::transform(v.begin(), v.end(), v.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (v == "table")
        mode_ = result_mode::table;
      else if (v == "changelog")
        mode_ = result_mode::changelog;
      else if (v == "tableau")
        mode_ = result_mode::tableau;
      else
        throw error(errc::invalid_argument, std::string("'") + result_mode_key +
                                                "' is table, changelog or tableau, not '" +
                                                set->value.value_or("") + "'");
    }
    if (const auto* reset = std::get_if<sql::reset_option>(&s.body);
        reset && (!reset->key || *reset->key == result_mode_key))
      mode_ = result_mode::tableau;
    bool dml = std::holds_alternative<sql::insert_into>(s.body) ||
               std::holds_alternative<sql::statement_set>(s.body);
    bool query = std::holds_alternative<sql::query_statement>(s.body);
    if (rest_) {
      // The session checks it (names, types) before it travels.
      auto r = env_->session().execute(s, text);
      if (query) {
        show_remote_query(own, r);
        return;
      }
      if (dml)
        submit(own);
      else {
        if (changes_catalog(s))
          ddl_ += trim(own) + (ends_statement(own) ? "\n" : ";\n");
        show_session_result(r);
      }
      return;
    }
    auto r = env_->execute(s, text);
    switch (r.type) {
      case sql::table_result::kind::ok:
        info("Execute statement succeed.");
        break;
      case sql::table_result::kind::table:
        out(static_table(r));
        break;
      case sql::table_result::kind::job:
        if (r.query)
          show_query(r);
        else
          wait_insert(r);
        break;
    }
  }

  static bool changes_catalog(const sql::statement& s) {
    return std::holds_alternative<sql::create_table>(s.body) ||
           std::holds_alternative<sql::create_view>(s.body) ||
           std::holds_alternative<sql::create_function>(s.body) ||
           std::holds_alternative<sql::drop_object>(s.body) ||
           std::holds_alternative<sql::use_object>(s.body);
  }

  void show_session_result(sql::sql_result& r) {
    if (r.type == sql::sql_result::kind::table) {
      sql::table_result t;
      t.type = sql::table_result::kind::table;
      t.columns = std::move(r.columns);
      t.rows = std::move(r.rows);
      out(static_table(t));
    } else {
      info("Execute statement succeed.");
    }
  }

  //! -m: the INSERT (or statement set), or the query, with the session's SET options and DDL,
  //! as one job. Returns its id.
  std::string submit(const std::string& statement_text, bool query = false) {
    std::string script;
    json body = json::object();
    json config = config_object(o_.config);
    for (auto& [k, v] : env_->session().get_catalog().config()) {
      if (k == max_table_result_rows_key)
        config[k] = v; // the JobManager keeps the query's rows
      else if (k.rfind("sql-client.", 0) == 0)
        continue;
      else if (k == "execution.savepoint.path")
        body["savepointPath"] = absolute_path(v);
      else if (k == "execution.savepoint.ignore-unclaimed-state")
        body["allowNonRestoredState"] = v == "true";
      else
        script += "SET " + sql_quoted(k) + " = " + sql_quoted(v) + ";\n";
    }
    script += ddl_;
    script += trim(statement_text);
    if (!ends_statement(script))
      script += ";";
    script += "\n";
    body["sql"] = script;
    if (o_.parallelism > 0)
      body["parallelism"] = o_.parallelism;
    body["config"] = config;
    if (query) {
      auto id = rest_->post("/jobs", body)["jobid"].get<std::string>();
      info("Submitted the query to the cluster (Ctrl-C cancels it): Job ID: " + id);
      return id;
    }
    info("Submitting SQL update statement to the cluster...");
    auto r = rest_->post("/jobs", body);
    auto id = r["jobid"].get<std::string>();
    info("SQL update statement has been successfully submitted to the cluster:");
    out("Job ID: " + id + "\n");
    return id;
  }

  //! An embedded INSERT: waits for its job (Ctrl-C cancels it).
  void wait_insert(sql::table_result& r) {
    info("Running SQL update statement in this process (Ctrl-C cancels it): Job ID: " +
         r.job->job_id());
    bool canceled = false;
    while (!r.job->wait_for(std::chrono::milliseconds(50))) {
      if (interrupted.exchange(0) != 0 && !canceled) {
        canceled = true;
        r.job->cancel();
      }
    }
    auto result = r.job->wait();
    if (result.status == job_status::failed)
      throw error(errc::failed_precondition, "SQL job failed: " + result.failure_cause);
    info("Job " + r.job->job_id() + " " + to_string(result.status) + ".");
  }

  //! A view of a query's rows in the session's result mode.
  std::unique_ptr<result_view> make_view(std::vector<std::string> names,
                                         const std::vector<sql::logical_type>& types) const {
    bool live = terminal_out_ && isatty(STDIN_FILENO) != 0;
    return std::make_unique<result_view>(mode_, std::move(names), types, live, out);
  }

  //! Shows rows as `fetch` adds them to `view` until it says there are no more (it waits a
  //! little each time); Q or Ctrl-C calls `cancel` once, and the rows keep coming until the
  //! end. Returns whether it cancelled.
  static bool run_view(result_view& view, const std::function<bool(result_view&)>& fetch,
                       const std::function<void()>& cancel) {
    bool canceled = false;
    bool quit = false;
    for (;;) {
      bool done = fetch(view);
      if (view.quit_requested())
        quit = true;
      if (interrupted.exchange(0) != 0)
        quit = true;
      if (quit && !done && !canceled) {
        canceled = true;
        cancel();
      }
      view.refresh(done);
      if (done && (!view.live() || quit))
        break;
      if (done && view.live())
        std::this_thread::sleep_for(std::chrono::milliseconds(50)); // waits for Q
    }
    view.close();
    return canceled;
  }

  //! The line after a query's rows (or its failure, thrown).
  void end_query(std::size_t total, bool canceled, const std::optional<std::string>& failure) {
    if (failure)
      throw error(errc::failed_precondition, "SQL job failed: " + *failure);
    if (total == 0 && !canceled)
      out("Empty set\n");
    else if (canceled)
      out("Query terminated, received a total of " + std::to_string(total) + " row" +
          (total == 1 ? "" : "s") + "\n");
    else
      out("Received a total of " + std::to_string(total) + " row" + (total == 1 ? "" : "s") + "\n");
  }

  //! An embedded query: its rows as this process's job produces them.
  void show_query(sql::table_result& r) {
    auto q = r.query;
    sql::row_layout layout;
    std::vector<std::string> names;
    {
      std::lock_guard<std::mutex> lock(q->mu);
      layout = q->layout;
      names = q->names;
    }
    auto view = make_view(names, layout.columns);
    std::size_t seen = 0;
    bool canceled = run_view(
        *view,
        [&](result_view& v) {
          bool done = r.job->wait_for(std::chrono::milliseconds(50));
          std::vector<sql::row> fresh;
          {
            std::lock_guard<std::mutex> lock(q->mu);
            if (seen < q->rows.size())
              fresh.assign(q->rows.begin() + static_cast<std::ptrdiff_t>(seen), q->rows.end());
            seen = q->rows.size();
          }
          for (const auto& row : fresh)
            v.add({sql::short_string(row.kind()), cells_of(row, layout)});
          return done;
        },
        [&] { r.job->cancel(); });
    auto result = r.job->wait();
    std::optional<std::string> failure;
    if (result.status == job_status::failed)
      failure = result.failure_cause;
    end_query(view->size(), canceled, failure);
  }

  //! -m: a query runs on the cluster; its rows come from GET /jobs/:jobid/results.
  void show_remote_query(const std::string& statement_text, const sql::sql_result& planned) {
    if (planned.plan.roots.size() != 1 || !planned.plan.roots[0])
      throw error(errc::invalid_argument, "a query has one result");
    const auto& root = *planned.plan.roots[0];
    auto names = sql::names_of(root);
    auto types = sql::layout_of(root).columns;
    auto id = submit(statement_text, true);
    auto view = make_view(names, types);
    std::uint64_t next = 0;
    std::optional<std::uint64_t> version;
    std::uint64_t dropped = 0;
    bool first = true;
    bool more = false;
    bool canceled = run_view(
        *view,
        [&](result_view& v) {
          if (!first && !more)
            std::this_thread::sleep_for(std::chrono::milliseconds(150));
          first = false;
          std::string path = "/jobs/" + id + "/results?from=" + std::to_string(next);
          if (version)
            path += "&version=" + std::to_string(*version);
          auto page = rest_->get(path);
          auto from = page.at("from").get<std::uint64_t>();
          if (from < v.size())
            v.retract_to(static_cast<std::size_t>(from)); // the job restarted before them
          const auto& rows = page.at("rows");
          for (const auto& row : rows) {
            text_row t;
            t.kind = row.at("kind").get<std::string>();
            for (const auto& value : row.at("values"))
              t.cells.push_back(value.is_null() ? "NULL" : value.get<std::string>());
            v.add(std::move(t));
          }
          next = page.at("next").get<std::uint64_t>();
          version = page.at("version").get<std::uint64_t>();
          dropped = page.at("dropped").get<std::uint64_t>();
          more = rows.size() >= 1000;
          return page.at("end").get<bool>();
        },
        [&] {
          try {
            rest_->patch("/jobs/" + id + "?mode=cancel");
          } catch (const rest_error&) {
            // 409: it ended meanwhile; its rows are all there.
          }
        });
    std::optional<std::string> failure;
    if (rest_->get("/jobs/" + id)["state"].get<std::string>() == "FAILED") {
      auto ex = rest_->get("/jobs/" + id + "/exceptions");
      failure = ex["root-exception"].is_string() ? ex["root-exception"].get<std::string>()
                                                 : std::string("job " + id + " failed");
    }
    if (dropped > 0)
      info(std::to_string(dropped) + " row" + (dropped == 1 ? " was" : "s were") +
           " not kept by the JobManager: it keeps at most '" + max_table_result_rows_key +
           "' rows of a query's result");
    end_query(view->size(), canceled, failure);
  }

  void info(const std::string& msg) { out("[INFO] " + msg + "\n"); }

  void report_error(const std::string& what) {
    failed_ = true;
    std::string msg = "[ERROR] Could not execute SQL statement. Reason:\n" + what + "\n";
    if (interactive_)
      out(msg);
    else {
      std::cout.flush();
      std::cerr << msg;
      std::cerr.flush();
    }
  }

  static void out(const std::string& s) {
    std::cout << s;
    std::cout.flush();
  }

  const sql_client_options& o_;
  bool interactive_;
  bool terminal_out_;
  configuration cluster_cfg_;
  std::unique_ptr<rest_link> rest_;
  std::unique_ptr<sql::table_environment> env_;
  result_mode mode_ = result_mode::tableau;
  std::string buffer_;
  std::string set_; //!< the statement set being typed
  std::string ddl_; //!< -m: the session's DDL, sent before each INSERT
  bool failed_ = false;
};

std::string history_file() {
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.spate_sql_history";
}

sql_shell* prompting = nullptr; //!< the shell whose prompt readline shows

//! Ctrl-C while readline waits: the statement typed so far is dropped and a fresh prompt
//! shown (as Flink's client does).
int on_readline_signal() {
  if (interrupted.exchange(0) == 0 || prompting == nullptr)
    return 0;
  prompting->discard();
  rl_replace_line("", 0);
  rl_crlf();
  rl_set_prompt(prompting->prompt());
  rl_on_new_line();
  rl_redisplay();
  return 0;
}

int interactive_loop(sql_shell& shell) {
  rl_readline_name = "spate-sql";
  rl_signal_event_hook = on_readline_signal;
  prompting = &shell;
  auto history = history_file();
  using_history();
  read_history(history.c_str());
  std::cout << "spate SQL client: statements end with ';'. HELP; lists the commands, QUIT; "
               "leaves.\n\n";
  std::cout.flush();
  for (;;) {
    interrupted.store(0);
    char* line = readline(shell.prompt());
    if (!line) { // Ctrl-D
      std::cout << "\n";
      break;
    }
    std::string text(line);
    std::free(line);
    if (!shell.feed(text))
      break;
  }
  prompting = nullptr;
  write_history(history.c_str());
  history_truncate_file(history.c_str(), 1000);
  std::cout << "\nShutting down the session...\ndone.\n";
  std::cout.flush();
  return exit_ok;
}

int script_loop(sql_shell& shell, std::istream& in) {
  std::string line;
  while (std::getline(in, line)) {
    if (!shell.feed(line))
      return shell.failed() ? exit_failed : exit_ok;
    if (interrupts.load() != 0) { // -m: the query running was cancelled on the cluster
      std::cerr << "spate: interrupted\n";
      return 128 + SIGINT;
    }
  }
  if (!shell.failed())
    shell.finish_input();
  return shell.failed() ? exit_failed : exit_ok;
}

} // namespace

int run_sql_client(const sql_client_options& o) {
  if (!o.execute.empty() && !o.file.empty()) {
    std::cerr << "spate: sql takes -e STATEMENTS or -f FILE, not both\n";
    return exit_usage;
  }
  try {
    bool script = !o.execute.empty() || !o.file.empty() || isatty(STDIN_FILENO) == 0;
    sql_shell shell(o, !script);
    // Interactive: Ctrl-C cancels the running query or INSERT, not the client. A script
    // ends on Ctrl-C, with its embedded jobs; with -m, once the query it runs on the cluster
    // (if any) is cancelled.
    if (!script || o.remote)
      std::signal(SIGINT, on_sql_interrupt);
    if (!o.execute.empty()) {
      std::istringstream in(o.execute);
      return script_loop(shell, in);
    }
    if (!o.file.empty()) {
      std::istringstream in(read_file(o.file));
      return script_loop(shell, in);
    }
    if (script)
      return script_loop(shell, std::cin);
    return interactive_loop(shell);
  } catch (const unreachable& e) {
    std::cerr << "spate: " << e.what() << "\n";
    return exit_unreachable;
  } catch (const rest_error& e) {
    std::cerr << "spate: " << e.what() << "\n";
    return exit_code_of(e);
  } catch (const error& e) {
    std::cerr << "spate: " << e.what() << "\n";
    return e.code() == errc::invalid_argument || e.code() == errc::not_found ? exit_usage
                                                                             : exit_failed;
  }
}

int run_sql_job(const client_options& co, const std::string& file) {
  try {
    if (!co.input.empty() || !co.outputs.empty() || !co.job_args.empty())
      throw error(errc::invalid_argument,
                  "--sql takes no --input, --output or job arguments: the script's tables name "
                  "what it reads and writes");
    json body = json::object();
    body["sql"] = read_file(file);
    // Refused here with its line and column, before anything is submitted.
    {
      sql::table_environment check;
      check.analyze_script(body["sql"].get<std::string>());
    }
    auto cfg = load_cluster_config(co.config_dir, co.config);
    rest_link rest(co.jobmanager, cfg);
    if (co.parallelism > 0)
      body["parallelism"] = co.parallelism;
    if (co.max_parallelism > 0)
      body["maxParallelism"] = co.max_parallelism;
    if (!co.from_savepoint.empty())
      body["savepointPath"] = absolute_path(co.from_savepoint);
    body["allowNonRestoredState"] = co.allow_non_restored_state;
    json config = config_object(co.config);
    if (!co.restore_mode.empty())
      config[options::savepoint_restore_mode] =
          to_string(parse_restore_mode(co.restore_mode, "--restoreMode"));
    body["config"] = config;
    auto r = rest.post("/jobs", body);
    auto id = r["jobid"].get<std::string>();
    std::cout << "Job has been submitted with JobID " << id << std::endl;
    if (co.detached)
      return exit_ok;
    auto state = rest.wait_terminal(id);
    std::cout << "Job " << id << " " << state << std::endl;
    if (state == "FAILED") {
      auto ex = rest.get("/jobs/" + id + "/exceptions");
      if (ex["root-exception"].is_string())
        std::cerr << "spate: job " << id << " failed: " << ex["root-exception"].get<std::string>()
                  << "\n";
      return exit_failed;
    }
    return exit_ok;
  } catch (const unreachable& e) {
    std::cerr << "spate: " << e.what() << "\n";
    return exit_unreachable;
  } catch (const rest_error& e) {
    std::cerr << "spate: " << e.what() << "\n";
    return exit_code_of(e);
  } catch (const error& e) {
    std::cerr << "spate: " << e.what() << "\n";
    return e.code() == errc::invalid_argument || e.code() == errc::not_found ? exit_usage
                                                                             : exit_failed;
  } catch (const std::exception& e) {
    std::cerr << "spate: " << e.what() << "\n";
    return exit_failed;
  }
}

} // namespace spate::cluster_detail
