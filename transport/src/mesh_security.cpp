#include "spate/transport/mesh_security.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <sodium.h>
#include <zmq.h>

#include "spate/core/error.hpp"

namespace spate::transport {

namespace {

std::string z85_encode(const unsigned char* bytes, std::size_t n) {
  std::string out(n * 5 / 4 + 1, '\0');
  if (zmq_z85_encode(out.data(), bytes, n) == nullptr)
    throw error(errc::internal, "cannot encode a key in Z85");
  out.resize(n * 5 / 4);
  return out;
}

//! The whole of a small file we own, opened without following a link.
//! `secret`: group and others may not read it.
std::string read_guarded(const std::string& path, const char* what, bool secret) {
  auto fail = [&](const std::string& why) {
    return error(errc::invalid_argument, std::string(what) + " '" + path + "': " + why);
  };
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    throw fail(errno == ELOOP ? "is a symbolic link (refused)" : std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    throw fail(std::strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw fail("is not a regular file");
  }
  if (secret && st.st_uid != ::geteuid()) {
    ::close(fd);
    throw fail("belongs to another user (uid " + std::to_string(st.st_uid) + ")");
  }
  if (secret && (st.st_mode & 077) != 0) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    throw fail(std::string("is readable by others (mode ") + mode +
               "): chmod 600 it, or make a new one with `spate keys`");
  }
  if (st.st_size > 64 * 1024) {
    ::close(fd);
    throw fail("is too large for a key file");
  }
  std::string content(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < content.size()) {
    auto n = ::read(fd, content.data() + got, content.size() - got);
    if (n <= 0) {
      int e = errno;
      ::close(fd);
      throw fail(n == 0 ? "ended early" : std::strerror(e));
    }
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return content;
}

std::string trim(std::string s) {
  auto b = s.find_first_not_of(" \t\r\n");
  auto e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

void init_sodium() {
  if (sodium_init() < 0)
    throw error(errc::internal, "libsodium cannot start");
}

} // namespace

bool is_curve_key(const std::string& z85) {
  if (z85.size() != 40)
    return false;
  unsigned char bytes[32];
  return zmq_z85_decode(bytes, z85.c_str()) != nullptr;
}

curve_keypair generate_keypair() {
  char pub[41], sec[41];
  if (zmq_curve_keypair(pub, sec) != 0)
    throw error(errc::internal, std::string("cannot make a CURVE key pair: ") +
                                    zmq_strerror(zmq_errno()) +
                                    " (is ZeroMQ built with CURVE support?)");
  return {pub, sec};
}

curve_keypair derive_keypair(const std::string& secret) {
  init_sodium();
  static constexpr char context[] = "spate mesh CURVE key pair v1";
  unsigned char key[32];
  crypto_generichash(key, sizeof key, reinterpret_cast<const unsigned char*>(context),
                     sizeof context - 1, reinterpret_cast<const unsigned char*>(secret.data()),
                     std::min<std::size_t>(secret.size(), crypto_generichash_KEYBYTES_MAX));
  curve_keypair kp;
  kp.secret_key = z85_encode(key, sizeof key);
  sodium_memzero(key, sizeof key);
  char pub[41];
  if (zmq_curve_public(pub, kp.secret_key.c_str()) != 0)
    throw error(errc::internal,
                std::string("cannot derive a CURVE public key: ") + zmq_strerror(zmq_errno()));
  kp.public_key = pub;
  return kp;
}

std::string generate_cluster_secret() {
  init_sodium();
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  char hex[65];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  sodium_memzero(bytes, sizeof bytes);
  return hex;
}

std::string read_cluster_secret(const std::string& path) {
  auto text = trim(read_guarded(path, options::cluster_secret_file, true));
  // Comment lines may say what the file is.
  std::string hex;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto nl = text.find('\n', pos);
    auto line = trim(text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos));
    if (!line.empty() && line[0] != '#')
      hex += line;
    if (nl == std::string::npos)
      break;
    pos = nl + 1;
  }
  init_sodium();
  unsigned char bytes[64];
  std::size_t n = 0;
  if (sodium_hex2bin(bytes, sizeof bytes, hex.data(), hex.size(), nullptr, &n, nullptr) != 0 ||
      n * 2 != hex.size())
    throw error(errc::invalid_argument,
                std::string(options::cluster_secret_file) + " '" + path +
                    "': not a secret of 64 to 128 hex digits (make one with `spate keys secret`)");
  if (n < 32)
    throw error(errc::invalid_argument, std::string(options::cluster_secret_file) + " '" + path +
                                            "': the secret has " + std::to_string(n) +
                                            " bytes, at least 32 are needed");
  std::string secret(reinterpret_cast<const char*>(bytes), n);
  sodium_memzero(bytes, sizeof bytes);
  return secret;
}

curve_keypair read_keypair_file(const std::string& path) {
  auto text = read_guarded(path, options::mesh_key_file, true);
  curve_keypair kp;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    auto line = trim(text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos));
    pos = nl == std::string::npos ? text.size() : nl + 1;
    auto colon = line.find(':');
    if (line.empty() || line[0] == '#' || colon == std::string::npos)
      continue;
    auto name = trim(line.substr(0, colon));
    auto value = trim(line.substr(colon + 1));
    if (name == "public-key")
      kp.public_key = value;
    else if (name == "secret-key")
      kp.secret_key = value;
  }
  if (!is_curve_key(kp.secret_key))
    throw error(errc::invalid_argument, std::string(options::mesh_key_file) + " '" + path +
                                            "': no valid 'secret-key:' line (40 Z85 characters)");
  char pub[41];
  if (zmq_curve_public(pub, kp.secret_key.c_str()) != 0)
    throw error(errc::invalid_argument,
                std::string(options::mesh_key_file) + " '" + path + "': the secret key is invalid");
  if (!kp.public_key.empty() && kp.public_key != pub)
    throw error(errc::invalid_argument, std::string(options::mesh_key_file) + " '" + path +
                                            "': its public key does not belong to its secret key");
  kp.public_key = pub;
  return kp;
}

std::string read_public_key_file(const std::string& path) {
  auto text = read_guarded(path, "public key file", false);
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    auto line = trim(text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos));
    pos = nl == std::string::npos ? text.size() : nl + 1;
    if (line.empty() || line[0] == '#')
      continue;
    // A key pair file names its public key too.
    if (line.rfind("public-key:", 0) == 0)
      line = trim(line.substr(11));
    else if (line.rfind("secret-key:", 0) == 0)
      continue;
    if (!is_curve_key(line))
      throw error(errc::invalid_argument, "public key file '" + path + "': '" + line +
                                              "' is not a CURVE public key (40 Z85 characters)");
    return line;
  }
  throw error(errc::invalid_argument, "public key file '" + path + "': holds no key");
}

void write_new_file(const std::string& path, const std::string& content, unsigned mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0)
    throw error(errc::io,
                "cannot create '" + path + "': " + std::strerror(errno) +
                    (errno == EEXIST ? " (it exists: remove it first to replace it)" : ""));
  std::size_t done = 0;
  while (done < content.size()) {
    auto n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      int e = errno;
      ::close(fd);
      ::unlink(path.c_str());
      throw error(errc::io, "cannot write '" + path + "': " + std::strerror(e));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0)
    throw error(errc::io, "cannot write '" + path + "': " + std::strerror(errno));
}

curve_keypair write_keypair_files(const std::string& dir, const std::string& name) {
  if (name.empty() || name.find('/') != std::string::npos || name[0] == '.')
    throw error(errc::invalid_argument, "a key name is a plain file name, not '" + name + "'");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    throw error(errc::io, "cannot create '" + dir + "': " + ec.message());
  auto kp = generate_keypair();
  write_new_file(dir + "/" + name + ".key",
                 "# spate mesh key pair of '" + name +
                     "' (CURVE). Keep it secret: whoever has it is this process.\n" +
                     "public-key: " + kp.public_key + "\nsecret-key: " + kp.secret_key + "\n",
                 0600);
  write_new_file(dir + "/" + name + ".pub",
                 "# spate mesh public key of '" + name + "'\n" + kp.public_key + "\n", 0644);
  return kp;
}

void key_ring::allow(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  allowed_.insert(key);
}

void key_ring::bind(const std::string& peer, const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& k = bound_[peer];
  if (k != key) {
    if (!k.empty())
      ++generation_;
    k = key;
  }
}

void key_ring::set_default_key(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  default_key_ = key;
}

bool key_ring::knows(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (allowed_.count(key))
    return true;
  for (auto& [peer, k] : bound_)
    if (k == key)
      return true;
  return false;
}

bool key_ring::admit(const std::string& peer, const std::string& key, std::string& why) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = bound_.find(peer);
  if (it != bound_.end()) {
    if (it->second == key)
      return true;
    why = "'" + peer + "' belongs to another key than the one this sender proved";
    return false;
  }
  if (!allowed_.count(key)) {
    why = "its key is not trusted under the name '" + peer + "'";
    return false;
  }
  // A name first used by an allowed key is that key's from now on (the
  // cluster key binds nothing: every member holds it).
  if (key != default_key_)
    bound_[peer] = key;
  return true;
}

std::string key_ring::key_of(const std::string& peer) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = bound_.find(peer);
  return it != bound_.end() ? it->second : default_key_;
}

std::uint64_t key_ring::generation() const {
  std::lock_guard<std::mutex> lock(mu_);
  return generation_;
}

bool is_loopback_host(const std::string& h) {
  if (h == "localhost" || h == "::1" || h == "[::1]")
    return true;
  in_addr a{};
  return ::inet_pton(AF_INET, h.c_str(), &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

mesh_security security_from(const configuration& config, mesh_role role,
                            const std::string& bind_host, const std::string& peer_host) {
  mesh_security s;
  auto secret_file = config.get_string(options::cluster_secret_file, "");
  auto key_file = config.get_string(options::mesh_key_file, "");
  if (!secret_file.empty() && !key_file.empty())
    throw error(errc::invalid_argument, std::string("set ") + options::cluster_secret_file +
                                            " or " + options::mesh_key_file + ", not both");
  if (!secret_file.empty()) {
    s.curve = true;
    s.own = derive_keypair(read_cluster_secret(secret_file));
    s.ring = std::make_shared<key_ring>();
    s.ring->allow(s.own.public_key);
    s.ring->set_default_key(s.own.public_key);
    s.description = std::string("CURVE, cluster secret ") + secret_file;
    return s;
  }
  if (!key_file.empty()) {
    s.curve = true;
    s.own = read_keypair_file(key_file);
    s.ring = std::make_shared<key_ring>();
    if (role == mesh_role::jobmanager) {
      auto dir = config.get_string(options::mesh_trusted_keys_dir, "");
      if (dir.empty())
        throw error(errc::invalid_argument,
                    std::string("the JobManager has ") + options::mesh_key_file + " but no " +
                        options::mesh_trusted_keys_dir + " (the TaskManagers' public keys)");
      std::error_code ec;
      std::size_t n = 0;
      for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end;
           it.increment(ec)) {
        if (it->path().extension() != ".pub")
          continue;
        s.ring->allow(read_public_key_file(it->path().string()));
        ++n;
      }
      if (ec)
        throw error(errc::invalid_argument, std::string(options::mesh_trusted_keys_dir) + " '" +
                                                dir + "': " + ec.message());
      s.description = "CURVE, key " + key_file + ", " + std::to_string(n) +
                      " trusted TaskManager key(s) in " + dir;
    } else {
      auto jm = config.get_string(options::mesh_jobmanager_key_file, "");
      if (jm.empty())
        throw error(errc::invalid_argument,
                    std::string("the TaskManager has ") + options::mesh_key_file + " but no " +
                        options::mesh_jobmanager_key_file + " (the JobManager's public key)");
      s.ring->bind("jobmanager", read_public_key_file(jm));
      s.handshake_wait_ms = 5000;
      s.description = "CURVE, key " + key_file + ", JobManager key " + jm;
    }
    return s;
  }
  bool local = is_loopback_host(bind_host) && is_loopback_host(peer_host);
  if (!local && !config.get_bool(options::mesh_insecure, false))
    throw error(errc::invalid_argument,
                "the mesh is reachable beyond this host (" + bind_host + ", " + peer_host +
                    ") but not authenticated: set " + options::cluster_secret_file +
                    " (or key files, docs/security.md), or " + options::mesh_insecure +
                    ": true to run it unauthenticated");
  s.description = local ? "none (loopback only)" : "NONE (security.mesh.insecure)";
  return s;
}

} // namespace spate::transport
