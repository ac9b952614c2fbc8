// A real Apache Kafka broker (KRaft, single node) for a test module, started
// with scripts/kafka.sh on a free port and stopped at the end, and kcat as
// the independent client that writes inputs and reads outputs.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include <stdlib.h>

namespace spate::test {

//! Runs `command` with /bin/sh; returns its stdout. Throws when it fails.
inline std::string shell(const std::string& command) {
  FILE* p = ::popen(command.c_str(), "r");
  if (!p)
    throw std::runtime_error("popen failed: " + command);
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
    out.append(buf, n);
  int status = ::pclose(p);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("command failed (" + std::to_string(status) + "): " + command + "\n" +
                             out);
  return out;
}

inline std::string source_dir() {
  const char* s = std::getenv("SPATE_SOURCE_DIR");
  return s ? s : ".";
}

//! A directory under /tmp, removed with the object.
class broker_dir {
public:
  broker_dir() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "spate-kafka-test-XXXXXX").string();
    if (!::mkdtemp(tmpl.data()))
      throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~broker_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& str() const { return path_; }

private:
  std::string path_;
};

//! Writes `text` to `dir/name` and returns its path.
inline std::string write_temp_file(const broker_dir& dir, const std::string& name,
                                   const std::string& text) {
  std::string path = dir.str() + "/" + name;
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f)
    throw std::runtime_error("cannot write " + path);
  std::fwrite(text.data(), 1, text.size(), f);
  std::fclose(f);
  return path;
}

//! One broker for the lifetime of the object.
class kafka_broker {
public:
  kafka_broker() {
    // A directory of our own: `stop` keeps its data for start_again().
    std::filesystem::create_directories(dir_.str() + "/broker");
    std::string out = shell(script() + " start --port 0 --dir " + dir_.str() + "/broker");
    auto at = out.rfind("bootstrap=");
    if (at == std::string::npos)
      throw std::runtime_error("kafka.sh start printed no bootstrap address:\n" + out);
    bootstrap_ = out.substr(at + 10);
    while (!bootstrap_.empty() && (bootstrap_.back() == '\n' || bootstrap_.back() == '\r'))
      bootstrap_.pop_back();
  }
  ~kafka_broker() {
    try {
      shell(script() + " stop --dir " + dir_.str() + "/broker 2>&1");
    } catch (...) {
    }
  }
  kafka_broker(const kafka_broker&) = delete;
  kafka_broker& operator=(const kafka_broker&) = delete;

  //! "127.0.0.1:PORT".
  const std::string& bootstrap() const { return bootstrap_; }

  void create_topic(const std::string& name, int partitions) {
    shell(script() + " topic create " + name + " --partitions " + std::to_string(partitions) +
          " --bootstrap " + bootstrap_ + " 2>&1");
  }
  void add_partitions(const std::string& name, int partitions) {
    shell(script() + " topic add-partitions " + name + " --partitions " +
          std::to_string(partitions) + " --bootstrap " + bootstrap_ + " 2>&1");
  }

  //! Produces one record per line into `partition` (-1: kcat's partitioner).
  void produce(const std::string& topic, const std::vector<std::string>& lines,
               int partition = -1) {
    std::string text;
    for (const auto& l : lines)
      text += l + "\n";
    std::string file = write_temp_file(dir_, "produce.txt", text);
    shell("kcat -P -b " + bootstrap_ + " -t " + topic +
          (partition >= 0 ? " -p " + std::to_string(partition) : "") + " -l " + file + " 2>&1");
  }

  //! Every record value of `topic` as a reader with `isolation` sees it.
  std::vector<std::string> consume(const std::string& topic,
                                   const std::string& isolation = "read_committed") {
    std::string out = shell("kcat -C -b " + bootstrap_ + " -t " + topic +
                            " -e -q -f '%s\\n' -X isolation.level=" + isolation);
    std::vector<std::string> lines;
    std::size_t begin = 0;
    while (begin < out.size()) {
      auto nl = out.find('\n', begin);
      if (nl == std::string::npos)
        nl = out.size();
      lines.push_back(out.substr(begin, nl - begin));
      begin = nl + 1;
    }
    return lines;
  }

  //! Stops the broker, keeping its data (a restart on the same port follows).
  void stop() { shell(script() + " stop --dir " + dir_.str() + "/broker 2>&1"); }
  void start_again() {
    shell(script() + " start --port " + port() + " --dir " + dir_.str() + "/broker");
  }
  std::string port() const { return bootstrap_.substr(bootstrap_.rfind(':') + 1); }
  const broker_dir& dir() const { return dir_; }

private:
  static std::string script() { return "bash " + source_dir() + "/scripts/kafka.sh"; }
  broker_dir dir_;
  std::string bootstrap_;
};

} // namespace spate::test
