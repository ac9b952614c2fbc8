#include "spate/checkpoints/orphan_sweep.hpp"

#include <algorithm>
#include <filesystem>
#include <set>
#include <string_view>
#include <system_error>

#include "spate/checkpoints/storage.hpp"
#include "spate/core/log.hpp"

namespace fs = std::filesystem;

namespace spate::checkpoints {

namespace {

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

//! Written only to be renamed (a shared file being copied, `_metadata` being
//! written): never a name a checkpoint references.
bool temporary(const std::string& name) {
  return ends_with(name, ".tmp") || ends_with(name, ".inprogress");
}

//! chk-<digits>, as checkpoint_storage names a checkpoint's directory.
bool checkpoint_name(const std::string& name) {
  if (name.rfind("chk-", 0) != 0 || name.size() == 4 || name.size() > 4 + 18)
    return false;
  return std::all_of(name.begin() + 4, name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

class sweeper {
public:
  //! What a chk-<n> entry is.
  enum class kind { complete, incomplete, link, untouched };

  sweeper(const std::string& job_dir, const orphan_sweep_options& options, orphan_sweep_result& r)
      : root_(job_dir), options_(options), r_(r) {}

  void run() {
    std::error_code ec;
    // The job's directory itself may be a link (a volume mounted elsewhere):
    // what it names is the directory swept. Nothing below it is followed.
    auto root_status = fs::status(root_, ec);
    if (!fs::is_directory(root_status)) {
      if (root_status.type() != fs::file_type::not_found)
        fail(".", ec ? ec.message() : "not a directory");
      return;
    }
    std::vector<fs::directory_entry> entries;
    if (!list(root_, ".", entries))
      return;
    std::vector<std::pair<std::string, kind>> checkpoints;
    bool has_shared = false;
    for (const auto& e : entries) {
      std::string name = e.path().filename().string();
      if (name == "shared") {
        has_shared = true;
        continue;
      }
      if (!checkpoint_name(name))
        continue; // savepoints and whatever else is not ours
      auto st = e.symlink_status(ec);
      if (ec) {
        fail(name, ec.message());
        checkpoints.emplace_back(name, kind::untouched);
      } else if (fs::is_symlink(st)) {
        checkpoints.emplace_back(name, kind::link); // not followed
      } else if (!fs::is_directory(st)) {
        checkpoints.emplace_back(name, kind::untouched); // a file named chk-<n>: not ours
      } else {
        checkpoints.emplace_back(name, classify(name));
      }
    }
    for (const auto& m : options_.keep)
      add_references(m);
    const bool all_readable = r_.unreadable.empty();
    for (const auto& why : r_.unreadable)
      log().warn("checkpoint directory '{}': {}; nothing under shared/ is removed and that "
                 "checkpoint's directory stays as it is",
                 root_.string(), why);

    for (const auto& [name, k] : checkpoints) {
      fs::path p = root_ / name;
      switch (k) {
        case kind::link:
          if (!holds_kept(name))
            remove_entry(p, name, fs::file_status(fs::file_type::symlink));
          break;
        case kind::incomplete:
          if (sweep_dir(p, name, false) && !holds_kept(name))
            remove_directory(p, name);
          break;
        case kind::complete:
          // Its files named by no _metadata (an upload of an earlier attempt),
          // or only temporaries while some _metadata cannot be read.
          sweep_dir(p, name, !all_readable);
          break;
        case kind::untouched:
          break;
      }
    }
    if (has_shared && all_readable) {
      auto st = fs::symlink_status(root_ / "shared", ec);
      if (ec)
        fail("shared", ec.message());
      else if (fs::is_symlink(st))
        fail("shared", "a symbolic link: not followed, nothing in it removed");
      else if (fs::is_directory(st))
        sweep_dir(root_ / "shared", "shared", false);
    }
    report();
  }

private:
  //! The complete, the unreadable or the incomplete checkpoint directory `name`.
  kind classify(const std::string& name) {
    fs::path md = root_ / name / "_metadata";
    std::error_code ec;
    auto st = fs::symlink_status(md, ec);
    if (st.type() == fs::file_type::not_found)
      return kind::incomplete;
    if (ec) {
      r_.unreadable.push_back("cannot read '" + md.string() + "': " + ec.message());
      return kind::untouched;
    }
    if (!fs::is_regular_file(st)) {
      r_.unreadable.push_back("'" + md.string() + "' is not a regular file");
      return kind::untouched;
    }
    try {
      auto m = load_metadata(md.string());
      validate_metadata(m, md.string());
      if (m.savepoint) // its paths start at its own directory: left alone
        return kind::untouched;
      add_references(m);
      referenced_.insert(name + "/_metadata");
      r_.complete.push_back(std::move(m));
      return kind::complete;
    } catch (const std::exception& e) {
      r_.unreadable.push_back(e.what());
      return kind::untouched;
    }
  }

  void add_references(const checkpoint_metadata& m) {
    for (const auto& op : m.operators)
      for (const auto& k : op.keyed)
        for (const auto* files : {&k.shared_files, &k.private_files})
          for (const auto& f : *files)
            if (unsafe_snapshot_path(f.path).empty()) // outside the directory: nothing here
              referenced_.insert(fs::path(f.path).lexically_normal().generic_string());
  }

  bool kept(const std::string& rel) const {
    return referenced_.count(rel) > 0 || (options_.in_use && options_.in_use(rel));
  }

  //! `rel` or a path below it is kept (a link or directory must stay).
  bool holds_kept(const std::string& rel) const {
    if (kept(rel))
      return true;
    std::string below = rel + "/";
    auto it = referenced_.lower_bound(below);
    return it != referenced_.end() && it->compare(0, below.size(), below) == 0;
  }

  bool list(const fs::path& dir, const std::string& rel, std::vector<fs::directory_entry>& out) {
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    for (; !ec && it != fs::directory_iterator(); it.increment(ec))
      out.push_back(*it);
    if (ec) {
      fail(rel, "cannot list: " + ec.message());
      return false;
    }
    return true;
  }

  //! Sweeps the real directory `dir` (`rel` below the root): each file or
  //! link nothing keeps goes (only temporaries when `temporaries_only`),
  //! with the subdirectories that leaves empty. Returns whether `dir` is
  //! empty now.
  bool sweep_dir(const fs::path& dir, const std::string& rel, bool temporaries_only) {
    std::vector<fs::directory_entry> entries;
    if (!list(dir, rel, entries))
      return false;
    bool empty = true;
    for (const auto& e : entries) {
      std::string name = e.path().filename().string();
      std::string child = rel + "/" + name;
      std::error_code ec;
      auto st = e.symlink_status(ec);
      if (ec) {
        fail(child, ec.message());
        empty = false;
        continue;
      }
      if (fs::is_directory(st)) { // a real one: links are not directories here
        if (!sweep_dir(e.path(), child, temporaries_only) || temporaries_only ||
            holds_kept(child) || !remove_directory(e.path(), child))
          empty = false;
        continue;
      }
      bool keep = fs::is_symlink(st) ? holds_kept(child) : kept(child);
      if (keep || (temporaries_only && !temporary(name)) || !remove_entry(e.path(), child, st))
        empty = false;
    }
    return empty;
  }

  //! Removes a file or a symbolic link (never what a link points to).
  bool remove_entry(const fs::path& p, const std::string& rel, const fs::file_status& st) {
    std::error_code ec;
    std::uint64_t size = 0;
    if (fs::is_regular_file(st)) {
      auto s = fs::file_size(p, ec);
      if (!ec)
        size = s;
    }
    bool gone = fs::remove(p, ec);
    if (ec) {
      fail(rel, "cannot remove: " + ec.message());
      return false;
    }
    if (gone) {
      ++r_.files;
      r_.bytes += size;
      r_.removed.push_back(rel);
    }
    return true;
  }

  bool remove_directory(const fs::path& p, const std::string& rel) {
    std::error_code ec;
    bool gone = fs::remove(p, ec); // empty by now: fails otherwise
    if (ec) {
      fail(rel, "cannot remove: " + ec.message());
      return false;
    }
    if (gone)
      r_.removed.push_back(rel + "/");
    return true;
  }

  void fail(const std::string& rel, const std::string& why) {
    std::string what = (rel == "." ? root_ : root_ / rel).string() + ": " + why;
    log().warn("checkpoint directory '{}': {}", root_.string(), what);
    r_.failures.push_back(std::move(what));
  }

  void report() const {
    if (r_.removed.empty()) {
      log().debug("checkpoint directory '{}': no orphaned files", root_.string());
      return;
    }
    // What went, directories once rather than with everything they held.
    std::set<std::string> dirs;
    for (const auto& p : r_.removed)
      if (p.back() == '/')
        dirs.insert(p);
    std::vector<std::string> shown;
    for (const auto& p : r_.removed) {
      bool inside = false;
      for (auto slash = p.find('/'); slash != std::string::npos && slash + 1 < p.size();
           slash = p.find('/', slash + 1))
        inside = inside || dirs.count(p.substr(0, slash + 1)) > 0;
      if (!inside)
        shown.push_back(p);
    }
    std::string list;
    for (std::size_t i = 0; i < shown.size() && i < 10; ++i)
      list += (i ? ", " : "") + shown[i];
    if (shown.size() > 10)
      list += " and " + std::to_string(shown.size() - 10) + " more";
    log().info("checkpoint directory '{}': removed {} orphaned file{} ({} bytes) that no "
               "complete checkpoint references: {}",
               root_.string(), r_.files, r_.files == 1 ? "" : "s", r_.bytes, list);
  }

  fs::path root_;
  const orphan_sweep_options& options_;
  orphan_sweep_result& r_;
  //! Paths relative to the root, lexically normal: what stays.
  std::set<std::string> referenced_;
};

} // namespace

orphan_sweep_result sweep_orphans(const std::string& job_dir, const orphan_sweep_options& options) {
  orphan_sweep_result r;
  try {
    sweeper(job_dir, options, r).run();
  } catch (const std::exception& e) { // std::bad_alloc, a path that cannot be converted
    r.failures.push_back(job_dir + ": " + e.what());
    log().warn("checkpoint directory '{}': the sweep of orphaned files stopped: {}", job_dir,
               e.what());
  }
  return r;
}

orphan_sweep_result discard_claimed_checkpoint(const std::string& job_dir,
                                               const checkpoint_metadata& m) {
  orphan_sweep_result r;
  const std::string name = "chk-" + std::to_string(m.checkpoint_id);
  const fs::path md = fs::path(job_dir) / name / "_metadata";
  auto keep = [&](const std::string& why) {
    r.failures.push_back(md.string() + ": " + why);
    log().warn("not deleting claimed checkpoint {} of job {} ('{}'): {}", m.checkpoint_id, m.job_id,
               md.string(), why);
    return r;
  };
  try {
    std::error_code ec;
    if (!fs::is_regular_file(fs::symlink_status(md, ec)))
      return keep("it is not a regular file (any more)");
    checkpoint_metadata on_disk;
    try {
      on_disk = load_metadata(md.string());
    } catch (const std::exception& e) {
      return keep(e.what());
    }
    if (on_disk.savepoint || on_disk.job_id != m.job_id ||
        on_disk.checkpoint_id != m.checkpoint_id || on_disk.trigger_time != m.trigger_time)
      return keep("it is not the checkpoint the job was restored from (it changed on disk)");
    std::uint64_t size = fs::file_size(md, ec);
    if (ec)
      size = 0;
    fs::remove(md, ec);
    if (ec)
      return keep("cannot remove: " + ec.message());
    r = sweep_orphans(job_dir);
    r.removed.insert(r.removed.begin(), name + "/_metadata");
    ++r.files;
    r.bytes += size;
    // What no checkpoint needs any more: an empty shared/, an empty job
    // directory (never through a link).
    for (const auto& dir : {fs::path(job_dir) / "shared", fs::path(job_dir)}) {
      auto st = fs::symlink_status(dir, ec);
      if (!ec && fs::is_directory(st) && fs::is_empty(dir, ec) && !ec && fs::remove(dir, ec))
        r.removed.push_back(dir == fs::path(job_dir) ? "./" : "shared/");
    }
    log().info("deleted checkpoint {} of job {} from '{}': restored in restore mode CLAIM and "
               "subsumed by newer checkpoints ({} file{}, {} bytes){}",
               m.checkpoint_id, m.job_id, job_dir, r.files, r.files == 1 ? "" : "s", r.bytes,
               fs::exists(fs::symlink_status(job_dir, ec)) ? "" : "; the directory is gone");
  } catch (const std::exception& e) { // std::bad_alloc, a path that cannot be converted
    r.failures.push_back(job_dir + ": " + e.what());
    log().warn("checkpoint directory '{}': deleting claimed checkpoint {} stopped: {}", job_dir,
               m.checkpoint_id, e.what());
  }
  return r;
}

} // namespace spate::checkpoints
