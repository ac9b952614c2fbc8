// Checkpoint entries of the line reader: progress per file path, so files can
// move between subtasks when the parallelism changes.
#include <algorithm>
#include <tuple>

#include "spate/connectors/line_file_reader.hpp"
#include "spate/core/codec.hpp"
#include "spate/core/error.hpp"
#include "spate/core/log.hpp"

namespace spate {

namespace {

struct file_entry {
  std::string path;
  std::uint64_t offset = 0;
  std::uint64_t line = 0;
  bool done = false;
  SPATE_FIELDS(path, offset, line, done);
};

struct file_source_state {
  std::uint32_t version = 1;
  std::vector<file_entry> files;
  SPATE_FIELDS(version, files);
};

// Which of two records of the same file went further.
bool further(const file_progress& a, const file_progress& b) {
  return std::make_tuple(a.done, a.offset) > std::make_tuple(b.done, b.offset);
}

} // namespace

std::string line_file_reader::snapshot() const {
  file_source_state state;
  for (std::uint64_t k = 0; k < files_.size(); ++k) {
    const std::string& file = files_[k];
    if (k < pos_.file_index) {
      state.files.push_back({file, 0, 0, true});
    } else if (k == pos_.file_index) {
      state.files.push_back({file, pos_.offset, pos_.line, false});
    } else if (auto it = resume_.find(file); it != resume_.end()) {
      // Restored progress of a file not reached yet (after a rescale).
      state.files.push_back({file, it->second.offset, it->second.line, it->second.done});
    }
  }
  std::string bytes;
  encode(state, bytes);
  return bytes;
}

void line_file_reader::restore(const std::vector<std::string>& entries) {
  std::map<std::string, file_progress> resume;
  for (const std::string& bytes : entries) {
    auto state = decode<file_source_state>(bytes, "file source state");
    if (state.version != 1)
      throw error(errc::corrupt, "file source state of '" + path_ + "': unknown format version " +
                                     std::to_string(state.version));
    for (const file_entry& e : state.files) {
      file_progress p{e.offset, e.line, e.done};
      auto [it, added] = resume.emplace(e.path, p);
      if (added)
        continue;
      // Two old subtasks read the same file: its listing changed while they
      // opened. Resume after the furthest read rather than fail the restore.
      log().warn("file source: input file '{}' was read by two subtasks before the restore; "
                 "resuming after the furthest position",
                 e.path);
      if (further(p, it->second))
        it->second = p;
    }
  }
  close();
  resume_ = std::move(resume);
  pos_ = file_position{};
  if (opened_)
    start_file(0);
}

} // namespace spate

namespace spate {

void restore_file_reader(line_file_reader& reader, const operator_state_reader& state) {
  std::vector<std::string> entries;
  for (const auto& old : state.all())
    if (auto it = old.find(file_source_state_name); it != old.end())
      entries.push_back(it->second);
  if (!entries.empty())
    reader.restore(entries);
}

} // namespace spate
