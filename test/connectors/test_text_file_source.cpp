#define BOOST_TEST_MODULE text_file_source
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include "connectors/source_harness.hpp"
#include "spate/connectors/text_file_source.hpp"
#include "spate/core/error.hpp"

using namespace spate;
using lines = std::vector<std::string>;

namespace {

lines read_lines(const std::string& content, std::size_t max_records = 7) {
  test::temp_dir dir;
  test::write_file(dir / "in.txt", content);
  return test::drain(text_file_source(dir / "in.txt"), 0, 1, max_records);
}

bool names(const spate::error& e, const std::string& path) {
  return std::string(e.what()).find("'" + path + "'") != std::string::npos;
}

} // namespace

BOOST_AUTO_TEST_CASE(lines_with_and_without_final_newline) {
  BOOST_TEST((read_lines("a\nbb\nccc\n") == lines{"a", "bb", "ccc"}));
  BOOST_TEST((read_lines("a\nbb\nccc") == lines{"a", "bb", "ccc"}));
}

BOOST_AUTO_TEST_CASE(crlf_and_empty_lines) {
  BOOST_TEST((read_lines("a\r\nb\r\n\r\nc") == lines{"a", "b", "", "c"}));
  BOOST_TEST((read_lines("\n\nx\n\n") == lines{"", "", "x", ""}));
  BOOST_TEST((read_lines("last\r") == lines{"last"}));
}

BOOST_AUTO_TEST_CASE(empty_file_has_no_records) { BOOST_TEST(read_lines("").empty()); }

BOOST_AUTO_TEST_CASE(long_lines_and_many_polls) {
  // Lines longer than the 64 KiB read buffer, and more lines than one poll takes.
  std::string big(200000, 'x');
  lines expected;
  std::string content;
  for (int i = 0; i < 1000; ++i) {
    expected.push_back(i % 100 == 0 ? big + std::to_string(i) : "line " + std::to_string(i));
    content += expected.back() + "\n";
  }
  BOOST_TEST((read_lines(content, 13) == expected));
}

BOOST_AUTO_TEST_CASE(single_file_goes_to_subtask_zero) {
  test::temp_dir dir;
  test::write_file(dir / "in.txt", "a\nb\n");
  auto spec = text_file_source(dir / "in.txt");
  BOOST_TEST((test::drain(spec, 0, 3) == lines{"a", "b"}));
  BOOST_TEST(test::drain(spec, 1, 3).empty());
  BOOST_TEST(test::drain(spec, 2, 3).empty());
}

BOOST_AUTO_TEST_CASE(directory_is_split_over_subtasks) {
  test::temp_dir dir;
  lines expected;
  for (int f = 0; f < 7; ++f) {
    std::string content;
    for (int i = 0; i < 5 + f; ++i) {
      expected.push_back("file" + std::to_string(f) + " line" + std::to_string(i));
      content += expected.back() + "\n";
    }
    test::write_file(dir / ("part-" + std::to_string(f)), content);
  }
  test::write_file(dir / ".hidden", "not input\n");
  ::mkdir((dir / "subdir").c_str(), 0755);
  auto spec = text_file_source(dir.path());
  lines all;
  std::vector<std::size_t> sizes;
  for (int s = 0; s < 3; ++s) {
    auto part = test::drain(spec, s, 3);
    sizes.push_back(part.size());
    all.insert(all.end(), part.begin(), part.end());
  }
  // Files 0,3,6 / 1,4 / 2,5 (sorted by name).
  BOOST_TEST((sizes == std::vector<std::size_t>{5 + 8 + 11, 6 + 9, 7 + 10}));
  std::sort(all.begin(), all.end());
  std::sort(expected.begin(), expected.end());
  BOOST_TEST((all == expected));
}

BOOST_AUTO_TEST_CASE(position_and_seek_resume_after_last_line) {
  test::temp_dir dir;
  test::write_file(dir / "a", "1\n2\n3\n");
  test::write_file(dir / "b", "4\r\n5");
  runtime_context ctx;
  text_file_source_function source(dir.path());
  source.open(ctx);
  typed_batch<std::string> batch;
  collector<std::string> out(&batch);
  source.poll(out, 2);
  file_position after_two = source.position();
  BOOST_TEST(after_two.file_index == 0u);
  BOOST_TEST(after_two.offset == 4u);
  source.poll(out, 2); // "3", "4"
  BOOST_TEST(source.position().file_index == 1u);
  BOOST_TEST(source.position().offset == 3u);
  source.seek(after_two);
  while (source.poll(out, 10).kind != source_status::finished) {
  }
  source.close();
  BOOST_TEST((batch.values == lines{"1", "2", "3", "4", "3", "4", "5"}));
}

BOOST_AUTO_TEST_CASE(missing_file_error_names_the_path) {
  test::temp_dir dir;
  std::string missing = dir / "no-such-file.txt";
  auto source = text_file_source(missing).factory();
  runtime_context ctx;
  BOOST_CHECK_EXCEPTION(source->open(ctx), spate::error, [&](const spate::error& e) {
    return e.code() == errc::not_found && names(e, missing) &&
           std::string(e.what()).find("No such file") != std::string::npos;
  });
  BOOST_CHECK_EXCEPTION(check_readable_input(missing), spate::error, [&](const spate::error& e) {
    return e.code() == errc::not_found && names(e, missing);
  });
}

BOOST_AUTO_TEST_CASE(check_readable_input_accepts_files_and_directories) {
  test::temp_dir dir;
  test::write_file(dir / "in.txt", "x\n");
  BOOST_CHECK_NO_THROW(check_readable_input(dir / "in.txt"));
  BOOST_CHECK_NO_THROW(check_readable_input(dir.path()));
  // A file under a regular file: not found (ENOTDIR), naming the path.
  std::string bad = dir / "in.txt/x";
  BOOST_CHECK_EXCEPTION(check_readable_input(bad), spate::error,
                        [&](const spate::error& e) { return names(e, bad); });
}

BOOST_AUTO_TEST_CASE(unreadable_file_is_an_io_error) {
  test::temp_dir dir;
  std::string too_long = dir / std::string(300, 'n');
  BOOST_CHECK_EXCEPTION(check_readable_input(too_long), spate::error, [&](const spate::error& e) {
    return e.code() == errc::io && names(e, too_long);
  });
  if (::geteuid() == 0)
    return; // root reads files without permission bits
  std::string file = dir / "secret.txt";
  test::write_file(file, "x\n");
  ::chmod(file.c_str(), 0);
  BOOST_CHECK_EXCEPTION(check_readable_input(file), spate::error, [&](const spate::error& e) {
    return e.code() == errc::io && names(e, file);
  });
}
