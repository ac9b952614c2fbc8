#include "result_view.hpp"

#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>

namespace spate::cluster_detail {

namespace {

std::string fit(const std::string& s, std::size_t width) {
  if (s.size() <= width)
    return std::string(width - s.size(), ' ') + s;
  return width > 3 ? s.substr(0, width - 3) + "..." : s.substr(0, width);
}

//! The change that reverts a row: -D for +I, -U for +U, +U for -U, +I for -D.
std::string inverse(const std::string& kind) {
  if (kind == "+I")
    return "-D";
  if (kind == "+U")
    return "-U";
  if (kind == "-U")
    return "+U";
  return "+I";
}

bool adds(const std::string& kind) { return kind == "+I" || kind == "+U"; }

} // namespace

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

std::string table_printer::border() const {
  std::string out = "+";
  for (auto w : widths)
    out += std::string(w + 2, '-') + "+";
  return out + "\n";
}

std::string table_printer::line(const std::vector<std::string>& cells) const {
  std::string out = "|";
  for (std::size_t i = 0; i < widths.size(); ++i)
    out += " " + fit(i < cells.size() ? cells[i] : std::string(), widths[i]) + " |";
  return out + "\n";
}

//! The terminal's input without echo and line buffering while a table is shown (a key quits).
struct result_view::terminal {
  terminal() {
    if (isatty(STDIN_FILENO) == 0 || tcgetattr(STDIN_FILENO, &saved) != 0)
      return;
    termios t = saved;
    t.c_lflag &= static_cast<tcflag_t>(~(ICANON | ECHO));
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    active = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
  }
  ~terminal() {
    if (active)
      tcsetattr(STDIN_FILENO, TCSANOW, &saved);
  }
  terminal(const terminal&) = delete;
  terminal& operator=(const terminal&) = delete;
  //! A key typed since the last call, or 0.
  char key() const {
    if (!active)
      return 0;
    pollfd p{STDIN_FILENO, POLLIN, 0};
    if (poll(&p, 1, 0) <= 0)
      return 0;
    char c = 0;
    return read(STDIN_FILENO, &c, 1) == 1 ? c : 0;
  }

  termios saved{};
  bool active = false;
};

result_view::result_view(result_mode mode, std::vector<std::string> names,
                         const std::vector<sql::logical_type>& types, bool live,
                         std::function<void(const std::string&)> out)
    : mode_(mode), header_(std::move(names)), live_(live && mode == result_mode::table),
      out_(std::move(out)), drawn_(std::chrono::steady_clock::now() - std::chrono::seconds(1)) {
  if (mode_ == result_mode::tableau)
    printer_.widths.push_back(2);
  for (std::size_t i = 0; i < header_.size() && i < types.size(); ++i)
    printer_.widths.push_back(column_width(header_[i], types[i]));
  if (mode_ == result_mode::tableau)
    header_.insert(header_.begin(), "op");
  if (live_) {
    keys_ = std::make_unique<terminal>();
    out_("\033[?1049h"); // the alternate screen, as Flink's table view
  }
}

result_view::~result_view() {
  if (live_ && !closed_)
    out_("\033[?1049l");
}

void result_view::header(std::string& text) {
  if (!header_shown_)
    text += printer_.border() + printer_.line(header_) + printer_.border();
  header_shown_ = true;
}

void result_view::apply(const text_row& r, std::string& text) {
  ++updates_;
  switch (mode_) {
    case result_mode::tableau: {
      header(text);
      std::vector<std::string> cells = r.cells;
      cells.insert(cells.begin(), r.kind);
      text += printer_.line(cells);
      break;
    }
    case result_mode::changelog: {
      text += r.kind + "[";
      for (std::size_t i = 0; i < r.cells.size(); ++i)
        text += (i ? ", " : "") + r.cells[i];
      text += "]\n";
      break;
    }
    case result_mode::table:
      if (adds(r.kind)) {
        materialized_.push_back(r.cells);
      } else {
        auto it = std::find(materialized_.begin(), materialized_.end(), r.cells);
        if (it != materialized_.end())
          materialized_.erase(it);
      }
      dirty_ = true;
      break;
  }
}

void result_view::add(text_row r) {
  std::string text;
  apply(r, text);
  history_.push_back(std::move(r));
  if (!text.empty())
    out_(text);
}

void result_view::retract_to(std::size_t n) {
  std::string text;
  while (history_.size() > n) {
    text_row undo = std::move(history_.back());
    history_.pop_back();
    undo.kind = inverse(undo.kind);
    apply(undo, text);
  }
  if (!text.empty())
    out_(text);
}

bool result_view::quit_requested() {
  if (!keys_)
    return false;
  char c = keys_->key();
  return c == 'q' || c == 'Q' || c == '\x04'; // Q, or Ctrl-D
}

void result_view::refresh(bool done) {
  if (!live_)
    return;
  if (done && !shown_done_) { // "(finished)" once more
    shown_done_ = true;
    dirty_ = true;
  }
  auto now = std::chrono::steady_clock::now();
  if (!dirty_ || (now - drawn_ < std::chrono::milliseconds(200) && !done))
    return;
  drawn_ = now;
  dirty_ = false;
  std::string screen = "\033[H\033[2J";
  screen += printer_.border() + printer_.line(header_) + printer_.border();
  // As many rows as the terminal shows (the first ones), and how many more there are.
  winsize ws{};
  std::size_t fits = ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 8
                         ? static_cast<std::size_t>(ws.ws_row) - 7
                         : 20;
  for (std::size_t i = 0; i < materialized_.size() && i < fits; ++i)
    screen += printer_.line(materialized_[i]);
  screen += printer_.border();
  if (materialized_.size() > fits)
    screen += "... " + std::to_string(materialized_.size() - fits) + " more rows\n";
  screen += "Rows: " + std::to_string(materialized_.size()) +
            "  Updates: " + std::to_string(updates_) + (done ? "  (finished)" : "  (running)") +
            "    [Q] Quit\n";
  out_(screen);
}

void result_view::close() {
  if (closed_)
    return;
  closed_ = true;
  if (live_)
    out_("\033[?1049l");
  keys_.reset();
  if (mode_ == result_mode::table) {
    // What was shown, once more on the normal screen (the alternate one is gone).
    std::string text = printer_.border() + printer_.line(header_) + printer_.border();
    for (auto& row : materialized_)
      text += printer_.line(row);
    text += printer_.border();
    if (!materialized_.empty() || updates_ > 0)
      out_(text);
  } else if (mode_ == result_mode::tableau && header_shown_) {
    out_(printer_.border());
  }
}

} // namespace spate::cluster_detail
