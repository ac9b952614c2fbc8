// file_sink(): plain files without checkpoints, the stagers with them.
#include "spate/connectors/file_sink.hpp"

#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>

#include "spate/connectors/checkpointing.hpp"
#include "spate/connectors/file_sink_staging.hpp"
#include "spate/core/error.hpp"
#include "spate/core/log.hpp"

namespace spate {

namespace {

// The files sinks without checkpointing opened in this process, by job id. A
// job without checkpoints that restarts begins again from the start, so it
// rewrites the files its earlier attempt wrote; no other job may.
class direct_files {
public:
  static direct_files& instance() {
    static direct_files files;
    return files;
  }
  bool written_by(const std::string& job_id, const std::string& file) {
    std::lock_guard<std::mutex> lock(mu_);
    return !job_id.empty() && files_.count({job_id, file}) > 0;
  }
  void add(const std::string& job_id, const std::string& file) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!job_id.empty())
      files_.insert({job_id, file});
  }

private:
  std::mutex mu_;
  std::set<std::pair<std::string, std::string>> files_;
};

} // namespace

file_sink_function::file_sink_function(std::string path, file_sink_mode mode)
    : path_(std::move(path)), mode_(mode) {}

file_sink_function::~file_sink_function() { close(); }

void file_sink_function::initialize_state(const operator_state_reader& state) {
  if (state.restored())
    restored_ = state;
}

void file_sink_function::open(runtime_context& ctx) {
  two_phase_ = checkpointing_enabled(ctx);
  if (restored_) {
    const char* mode = mode_ == file_sink_mode::merged ? "merged" : "per_subtask";
    if (auto other = detail::direct_state_of_another_output(*restored_, path_, mode)) {
      // Written without checkpointing to another output: nothing of it is
      // here to keep, so this output starts as a new job's does.
      log().info("file sink '{}': the snapshot holds output of {} written without "
                 "checkpointing, not of this output; it starts as a new one",
                 path_, *other);
      restored_.reset();
    }
  }
  plain_ = std::make_unique<detail::output_file>();
  if (mode_ == file_sink_mode::per_subtask) {
    parts_ = std::make_unique<detail::part_file_stager>(path_, ctx.subtask, ctx.parallelism);
    if (restored_)
      parts_->restore(*restored_);
    else if (two_phase_)
      parts_->start_fresh();
    if (two_phase_)
      return;
    if (restored_) { // never overwrite restored output: a new part file
      plain_->open(parts_->visible_name(ctx.subtask, parts_->take_seq()), O_TRUNC);
      return;
    }
    std::string file =
        (std::filesystem::path(path_) / ("part-" + std::to_string(ctx.subtask))).string();
    auto& files = direct_files::instance();
    parts_->refuse_earlier_output(/*direct=*/true, files.written_by(ctx.job_id, file));
    detail::create_directories(path_, path_);
    plain_->open(file, O_TRUNC);
    files.add(ctx.job_id, file);
    return;
  }
  merged_ = std::make_unique<detail::merged_file_stager>(path_);
  if (restored_)
    merged_->restore(*restored_);
  else if (two_phase_)
    merged_->start_fresh();
  if (two_phase_)
    return;
  if (restored_) {
    plain_->open(path_, O_APPEND);
    return;
  }
  auto& files = direct_files::instance();
  merged_->refuse_earlier_output(files.written_by(ctx.job_id, path_));
  detail::create_directories(std::filesystem::path(path_).parent_path().string(), path_);
  plain_->open(path_, O_TRUNC);
  files.add(ctx.job_id, path_);
}

void file_sink_function::write(const typed_batch<std::string>& batch) {
  if (two_phase_ && parts_) {
    for (const std::string& line : batch.values)
      parts_->write_line(line);
  } else if (two_phase_ && merged_) {
    for (const std::string& line : batch.values)
      merged_->write_line(line);
  } else if (plain_) {
    for (const std::string& line : batch.values)
      plain_->write_line(line);
  } else {
    throw error(errc::internal, "file sink '" + path_ + "': write before open()");
  }
}

void file_sink_function::snapshot_state(std::int64_t checkpoint, operator_state_writer& out) {
  if (two_phase_ && parts_)
    parts_->snapshot(checkpoint, out);
  else if (two_phase_ && merged_)
    merged_->snapshot(checkpoint, out);
  else if (plain_)
    snapshot_direct(out);
}

void file_sink_function::snapshot_direct(operator_state_writer& out) {
  // A savepoint without checkpointing: what was written is durable and
  // recorded with its length, so a job restored from the savepoint keeps it
  // (and cuts off what is written after). Nothing is staged. After finish()
  // the file is closed, its name and length still hold.
  if (plain_->is_open())
    plain_->sync();
  bool written = !plain_->name().empty();
  if (parts_)
    parts_->snapshot_direct(written ? plain_->name() : std::string(), plain_->size(), out);
  else if (merged_ && written)
    merged_->snapshot_direct(plain_->size(), out);
}

void file_sink_function::notify_checkpoint_complete(std::int64_t checkpoint) {
  if (two_phase_ && parts_)
    parts_->commit_up_to(checkpoint);
  else if (two_phase_ && merged_)
    merged_->commit_up_to(checkpoint);
}

void file_sink_function::notify_checkpoint_aborted(std::int64_t checkpoint) {
  if (two_phase_)
    log().debug("file sink '{}': checkpoint {} aborted; its output stays pending", path_,
                checkpoint);
}

void file_sink_function::finish() {
  if (two_phase_ && parts_)
    parts_->finish();
  else if (two_phase_ && merged_)
    merged_->finish();
  else if (plain_)
    plain_->close();
}

void file_sink_function::close() {
  if (parts_)
    parts_->close();
  if (merged_)
    merged_->close();
  if (plain_)
    plain_->close_logging();
}

sink_spec<std::string> file_sink(std::string path, file_sink_mode mode) {
  sink_spec<std::string> spec;
  spec.name = "file";
  spec.factory = [path, mode]() -> std::unique_ptr<sink_function<std::string>> {
    return std::make_unique<file_sink_function>(path, mode);
  };
  spec.single_instance = mode == file_sink_mode::merged;
  return spec;
}

} // namespace spate
