// A real Apache Kafka broker (KRaft, single node) for a test module, started
// with scripts/kafka.sh on a free port and stopped at the end, and kcat as
// the independent client that writes inputs and reads outputs.
#pragma once

#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <librdkafka/rdkafka.h>
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

  //! Waits until no transaction is open on any partition of `topic` (its last stable offset,
  //! what read_committed readers see the end at, has reached the high watermark), or until
  //! `timeout`; returns whether it settled. A transactional producer's commit returns once the
  //! coordinator logged the commit, and the markers that make its records visible reach the
  //! partitions a moment later, so a reader right after a job's end may otherwise see none.
  bool await_settled(const std::string& topic,
                     std::chrono::milliseconds timeout = std::chrono::seconds(30)) const {
    auto client = [&](const char* isolation) {
      char err[512];
      rd_kafka_conf_t* conf = rd_kafka_conf_new();
      rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap_.c_str(), err, sizeof err);
      rd_kafka_conf_set(conf, "isolation.level", isolation, err, sizeof err);
      rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
      rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
      if (!rk)
        throw std::runtime_error(std::string("rd_kafka_new: ") + err);
      return rk;
    };
    rd_kafka_t* committed = client("read_committed");
    rd_kafka_t* uncommitted = client("read_uncommitted");
    auto until = std::chrono::steady_clock::now() + timeout;
    bool settled = false;
    while (!settled && std::chrono::steady_clock::now() < until) {
      const rd_kafka_metadata_t* md = nullptr;
      rd_kafka_topic_t* t = rd_kafka_topic_new(uncommitted, topic.c_str(), nullptr);
      if (rd_kafka_metadata(uncommitted, 0, t, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR &&
          md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        settled = true;
        for (int i = 0; settled && i < md->topics[0].partition_cnt; ++i) {
          int32_t p = md->topics[0].partitions[i].id;
          int64_t lo = 0, stable = -1, high = -2;
          if (rd_kafka_query_watermark_offsets(committed, topic.c_str(), p, &lo, &stable, 5000) ||
              rd_kafka_query_watermark_offsets(uncommitted, topic.c_str(), p, &lo, &high, 5000) ||
              stable != high)
            settled = false;
        }
      }
      if (md)
        rd_kafka_metadata_destroy(md);
      rd_kafka_topic_destroy(t);
      if (!settled)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    rd_kafka_destroy(committed);
    rd_kafka_destroy(uncommitted);
    return settled;
  }

  //! consume() once every transaction on `topic` has ended: what a job that has finished
  //! committed.
  std::vector<std::string> consume_settled(const std::string& topic) {
    if (!await_settled(topic))
      throw std::runtime_error("a transaction on " + topic + " stayed open for 30 s");
    return consume(topic);
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
