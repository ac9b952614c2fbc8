// The SQL client of `spate sql` (Flink's sql-client), `spate sql -m` and `spate run --sql`.
//
// Statements are read line by line (readline on a terminal, with the history in
// ~/.spate_sql_history; plain lines from a pipe) and run once a line ends one with ';'.
// Embedded, they run in this process's table_environment; with -m, DDL and SET stay in the
// client's session and an INSERT (or statement set) is sent to the JobManager as
// POST /jobs {"sql": the session's SET and DDL statements, then the INSERT}, which plans it
// on every process of the cluster.
#include "sql_client.hpp"

#include <poll.h>
#include <sys/ioctl.h>
#include <readline/history.h>
#include <readline/readline.h>
#include <termios.h>
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
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "rest_client.hpp"
#include "rest_tls.hpp"
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
extern "C" void on_sql_interrupt(int) { interrupted.store(1); }

const char* op_of(sql::row_kind k) {
  switch (k) {
    case sql::row_kind::insert:
      return "+I";
    case sql::row_kind::update_before:
      return "-U";
    case sql::row_kind::update_after:
      return "+U";
    case sql::row_kind::delete_:
      return "-D";
  }
  return "??";
}

//! A column's width in tableau and table mode (Flink's: by the type, at most 30 for strings,
//! at least the name's).
std::size_t column_width(const std::string& name, const sql::logical_type& t) {
  std::size_t w = 30;
  switch (t.kind) {
    case sql::logical_kind::boolean:
      w = 5;
      break;
    case sql::logical_kind::tinyint:
      w = 4;
      break;
    case sql::logical_kind::smallint:
      w = 6;
      break;
    case sql::logical_kind::int_:
      w = 11;
      break;
    case sql::logical_kind::bigint:
      w = 20;
      break;
    case sql::logical_kind::float_:
    case sql::logical_kind::double_:
      w = 24;
      break;
    case sql::logical_kind::decimal:
      w = static_cast<std::size_t>(std::max(t.precision + 2, 4));
      break;
    case sql::logical_kind::date:
      w = 10;
      break;
    case sql::logical_kind::timestamp:
    case sql::logical_kind::timestamp_ltz:
      w = 23 + 1;
      break;
    case sql::logical_kind::char_:
    case sql::logical_kind::varchar:
      w = static_cast<std::size_t>(std::min(std::max(t.precision, 4), 30));
      break;
    default:
      break;
  }
  return std::max(w, name.size());
}

std::string fit(const std::string& s, std::size_t width) {
  if (s.size() <= width)
    return std::string(width - s.size(), ' ') + s;
  return width > 3 ? s.substr(0, width - 3) + "..." : s.substr(0, width);
}

//! Flink's tableau: a bordered table with right-aligned cells.
struct table_printer {
  std::vector<std::size_t> widths;

  std::string border() const {
    std::string out = "+";
    for (auto w : widths)
      out += std::string(w + 2, '-') + "+";
    return out + "\n";
  }
  std::string line(const std::vector<std::string>& cells) const {
    std::string out = "|";
    for (std::size_t i = 0; i < widths.size(); ++i)
      out += " " + fit(i < cells.size() ? cells[i] : std::string(), widths[i]) + " |";
    return out + "\n";
  }
};

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

//! The terminal's input without echo and line buffering while a table is shown (a key quits).
class raw_input {
public:
  raw_input() {
    if (isatty(STDIN_FILENO) == 0 || tcgetattr(STDIN_FILENO, &saved_) != 0)
      return;
    termios t = saved_;
    t.c_lflag &= static_cast<tcflag_t>(~(ICANON | ECHO));
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    active_ = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
  }
  ~raw_input() {
    if (active_)
      tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
  raw_input(const raw_input&) = delete;
  raw_input& operator=(const raw_input&) = delete;
  bool active() const { return active_; }
  //! A key typed since the last call, or 0.
  char key() const {
    if (!active_)
      return 0;
    pollfd p{STDIN_FILENO, POLLIN, 0};
    if (poll(&p, 1, 0) <= 0)
      return 0;
    char c = 0;
    return read(STDIN_FILENO, &c, 1) == 1 ? c : 0;
  }

private:
  termios saved_{};
  bool active_ = false;
};

// ---------------------------------------------------------------------------------------------
// The client

enum class result_mode { table, changelog, tableau };

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
    "SELECT\t\tExecutes a SQL SELECT query (embedded only: not with -m).\n"
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
      if (query)
        throw error(errc::invalid_argument,
                    "SELECT is not supported with -m: collecting a query's rows from the "
                    "cluster's TaskManagers is not possible yet. INSERT INTO a table (print, "
                    "filesystem, kafka, ...) to run it on the cluster, or run the query embedded "
                    "(spate sql without -m)");
      // The session checks it (names, types) before it travels.
      auto r = env_->session().execute(s, text);
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

  //! -m: the INSERT (or statement set) with the session's SET options and DDL, as one job.
  void submit(const std::string& statement_text) {
    std::string script;
    json body = json::object();
    json config = config_object(o_.config);
    for (auto& [k, v] : env_->session().get_catalog().config()) {
      if (k.rfind("sql-client.", 0) == 0)
        continue;
      if (k == "execution.savepoint.path")
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
    info("Submitting SQL update statement to the cluster...");
    auto r = rest_->post("/jobs", body);
    auto id = r["jobid"].get<std::string>();
    info("SQL update statement has been successfully submitted to the cluster:");
    out("Job ID: " + id + "\n");
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

  void show_query(sql::table_result& r) {
    auto q = r.query;
    sql::row_layout layout;
    std::vector<std::string> names;
    {
      std::lock_guard<std::mutex> lock(q->mu);
      layout = q->layout;
      names = q->names;
    }
    table_printer printer;
    if (mode_ == result_mode::tableau)
      printer.widths.push_back(2);
    for (std::size_t i = 0; i < names.size() && i < layout.columns.size(); ++i)
      printer.widths.push_back(column_width(names[i], layout.columns[i]));
    std::vector<std::string> header = names;
    if (mode_ == result_mode::tableau)
      header.insert(header.begin(), "op");
    std::optional<raw_input> keys;
    bool table_live = mode_ == result_mode::table && terminal_out_ && isatty(STDIN_FILENO) != 0;
    if (table_live) {
      keys.emplace();
      out("\033[?1049h"); // the alternate screen, as Flink's table view
    }
    std::vector<std::vector<std::string>> materialized;
    std::size_t seen = 0;
    std::size_t total = 0;
    bool header_shown = false;
    bool canceled = false;
    bool quit = false;
    bool dirty = true;
    bool shown_done = false;
    auto drawn = std::chrono::steady_clock::now() - std::chrono::seconds(1);
    for (;;) {
      bool done = r.job->wait_for(std::chrono::milliseconds(50));
      std::vector<sql::row> fresh;
      {
        std::lock_guard<std::mutex> lock(q->mu);
        if (seen < q->rows.size())
          fresh.assign(q->rows.begin() + static_cast<std::ptrdiff_t>(seen), q->rows.end());
        seen = q->rows.size();
      }
      std::string text;
      for (const auto& row : fresh) {
        ++total;
        auto cells = cells_of(row, layout);
        switch (mode_) {
          case result_mode::tableau:
            if (!header_shown)
              text += printer.border() + printer.line(header) + printer.border();
            header_shown = true;
            cells.insert(cells.begin(), op_of(row.kind()));
            text += printer.line(cells);
            break;
          case result_mode::changelog:
            text += sql::to_print_string(row, layout) + "\n";
            break;
          case result_mode::table:
            if (row.kind() == sql::row_kind::insert || row.kind() == sql::row_kind::update_after)
              materialized.push_back(std::move(cells));
            else {
              auto it = std::find(materialized.begin(), materialized.end(), cells);
              if (it != materialized.end())
                materialized.erase(it);
            }
            dirty = true;
            break;
        }
      }
      if (!text.empty())
        out(text);
      if (keys) {
        char c = keys->key();
        if (c == 'q' || c == 'Q' || c == '\x04') // Q, or Ctrl-D
          quit = true;
      }
      if (interrupted.exchange(0) != 0)
        quit = true;
      if (quit && !done && !canceled) {
        canceled = true;
        r.job->cancel();
      }
      if (done && !shown_done) { // "(finished)" once more
        shown_done = true;
        dirty = true;
      }
      auto now = std::chrono::steady_clock::now();
      if (table_live && dirty && (now - drawn >= std::chrono::milliseconds(200) || done)) {
        drawn = now;
        dirty = false;
        std::string screen = "\033[H\033[2J";
        screen += printer.border() + printer.line(header) + printer.border();
        // As many rows as the terminal shows (the first ones), and how many more there are.
        winsize ws{};
        std::size_t fits = ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 8
                               ? static_cast<std::size_t>(ws.ws_row) - 7
                               : 20;
        for (std::size_t i = 0; i < materialized.size() && i < fits; ++i)
          screen += printer.line(materialized[i]);
        screen += printer.border();
        if (materialized.size() > fits)
          screen += "... " + std::to_string(materialized.size() - fits) + " more rows\n";
        screen += "Rows: " + std::to_string(materialized.size()) +
                  "  Updates: " + std::to_string(total) + (done ? "  (finished)" : "  (running)") +
                  "    [Q] Quit\n";
        out(screen);
      }
      if (done && (!table_live || quit))
        break;
      if (done && table_live)
        std::this_thread::sleep_for(std::chrono::milliseconds(50)); // waits for Q
    }
    if (table_live)
      out("\033[?1049l");
    auto result = r.job->wait();
    if (mode_ == result_mode::table) {
      // What was shown, once more on the normal screen (the alternate one is gone).
      std::string text = printer.border() + printer.line(header) + printer.border();
      for (auto& row : materialized)
        text += printer.line(row);
      text += printer.border();
      if (!materialized.empty() || total > 0)
        out(text);
    } else if (mode_ == result_mode::tableau && header_shown) {
      out(printer.border());
    }
    if (result.status == job_status::failed)
      throw error(errc::failed_precondition, "SQL job failed: " + result.failure_cause);
    if (total == 0 && !canceled)
      out("Empty set\n");
    else if (canceled)
      out("Query terminated, received a total of " + std::to_string(total) + " row" +
          (total == 1 ? "" : "s") + "\n");
    else
      out("Received a total of " + std::to_string(total) + " row" + (total == 1 ? "" : "s") + "\n");
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
  while (std::getline(in, line))
    if (!shell.feed(line))
      return shell.failed() ? exit_failed : exit_ok;
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
    // ends on Ctrl-C, with its embedded jobs.
    if (!script)
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
