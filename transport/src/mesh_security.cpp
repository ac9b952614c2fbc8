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
#include "spate/core/private_dir.hpp"
#include "spate/core/private_file.hpp"

namespace spate::transport {

namespace {

std::string z85_encode(const unsigned char* bytes, std::size_t n) {
  std::string out(n * 5 / 4 + 1, '\0');
  if (zmq_z85_encode(out.data(), bytes, n) == nullptr)
    throw error(errc::internal, "cannot encode a key in Z85");
  out.resize(n * 5 / 4);
  return out;
}

//! The whole of a small key or secret file, opened without following a link
//! or blocking and checked on the descriptor read (spate/core/private_file).
//! `secret`: only we (or root) own it and nobody else may read it; otherwise
//! (a public key) nobody else may change it: neither the file nor the
//! directory it is in may be written by another user.
std::string read_guarded(const std::string& path, const char* what, bool secret) {
  if (secret)
    return read_private_file(path, what);
  auto dir = std::filesystem::path(path).parent_path();
  if (dir.empty())
    dir = ".";
  if (auto why = unsafe_directory(dir.string()); !why.empty())
    throw error(errc::invalid_argument, std::string(what) + " '" + path +
                                            "': others could replace it, its directory is "
                                            "not safe: " +
                                            why);
  return read_protected_file(path, what);
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
  unique_fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!fd)
    throw error(errc::io,
                "cannot create '" + path + "': " + std::strerror(errno) +
                    (errno == EEXIST ? " (it exists: remove it first to replace it)" : ""));
  // From here the file is ours: whatever fails removes it, so no partial
  // file is left to be taken for a whole one.
  auto fail = [&](int e) {
    fd.reset();
    ::unlink(path.c_str());
    return error(errc::io, "cannot write '" + path + "': " + std::strerror(e));
  };
  std::size_t done = 0;
  while (done < content.size()) {
    auto n = ::write(fd.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      throw fail(n < 0 ? errno : EIO);
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0)
    throw fail(errno);
  if (fd.close() != 0)
    throw fail(errno);
}

curve_keypair write_keypair_files(const std::string& dir, const std::string& name) {
  if (name.empty() || name.find('/') != std::string::npos || name[0] == '.')
    throw error(errc::invalid_argument, "a key name is a plain file name, not '" + name + "'");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    throw error(errc::io, "cannot create '" + dir + "': " + ec.message());
  auto kp = generate_keypair();
  auto key_path = dir + "/" + name + ".key";
  write_new_file(key_path,
                 "# spate mesh key pair of '" + name +
                     "' (CURVE). Keep it secret: whoever has it is this process.\n" +
                     "public-key: " + kp.public_key + "\nsecret-key: " + kp.secret_key + "\n",
                 0600);
  try {
    write_new_file(dir + "/" + name + ".pub",
                   "# spate mesh public key of '" + name + "'\n" + kp.public_key + "\n", 0644);
  } catch (...) {
    // Half a pair is no pair: the .key made above goes too.
    ::unlink(key_path.c_str());
    throw;
  }
  return kp;
}

void key_ring::allow(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  allowed_.insert(key);
}

void key_ring::bind(const std::string& peer, const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& b = bound_[peer];
  // Any change: what admit() found before may not hold now.
  if (b.key != key || !b.scopes.empty())
    ++generation_;
  b.key = key;
  b.scopes.clear();
}

bool key_ring::learn(const std::string& scope, const std::string& peer, const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  if (key == default_key_)
    return true; // every member's key: no name to bind
  auto it = bound_.find(peer);
  if (it == bound_.end()) {
    bound_[peer] = binding{key, {scope}};
    ++generation_;
    return true;
  }
  auto& b = it->second;
  if (b.scopes.empty()) // bound for good
    return b.key == key;
  if (b.key != key) {
    // The peer's key changed (its process was given a new one): the scopes
    // that learned the old key lose it with it.
    b.key = key;
    b.scopes.clear();
    ++generation_;
  }
  b.scopes.insert(scope);
  return true;
}

std::vector<std::string> key_ring::release(const std::string& scope) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> gone;
  for (auto it = bound_.begin(); it != bound_.end();) {
    auto& scopes = it->second.scopes;
    if (scopes.erase(scope) && scopes.empty()) {
      gone.push_back(it->first);
      it = bound_.erase(it);
    } else {
      ++it;
    }
  }
  if (!gone.empty())
    ++generation_;
  return gone;
}

void key_ring::set_default_key(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  default_key_ = key;
}

bool key_ring::knows(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (allowed_.count(key))
    return true;
  for (auto& [peer, b] : bound_)
    if (b.key == key)
      return true;
  return false;
}

bool key_ring::admit(const std::string& peer, const std::string& key, std::string& why) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = bound_.find(peer);
  if (it != bound_.end()) {
    if (it->second.key == key)
      return true;
    why = "the name '" + peer + "' belongs to key " + it->second.key + ", not to key " + key +
          " that this sender proved";
    return false;
  }
  if (allowed_.count(key))
    return true; // the cluster key: every member may go by any name not bound
  std::string own;
  for (auto& [name, b] : bound_)
    if (b.key == key) {
      own = name;
      break;
    }
  why = own.empty() ? "key " + key + " is not trusted under the name '" + peer + "'"
                    : "key " + key + " is '" + own + "''s, not '" + peer + "''s";
  return false;
}

std::string key_ring::key_of(const std::string& peer) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = bound_.find(peer);
  return it != bound_.end() ? it->second.key : default_key_;
}

std::string key_ring::name_of(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [peer, b] : bound_)
    if (b.key == key)
      return peer;
  return {};
}

std::uint64_t key_ring::generation() const {
  std::lock_guard<std::mutex> lock(mu_);
  return generation_;
}

std::size_t key_ring::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bound_.size();
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
      // Each key is its file's: tm1.pub is the key of the TaskManager whose
      // taskmanager.resource-id is tm1, and no one else's name is open to it.
      std::error_code ec;
      std::map<std::string, std::string> files; // name -> path, in name order
      for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (it->path().extension() == ".pub")
          files[it->path().stem().string()] = it->path().string();
      if (ec)
        throw error(errc::invalid_argument, std::string(options::mesh_trusted_keys_dir) + " '" +
                                                dir + "': " + ec.message());
      std::map<std::string, std::string> name_of_key;
      std::string names;
      for (auto& [name, path] : files) {
        const std::string where = std::string(options::mesh_trusted_keys_dir) + ": '" + path + "' ";
        if (name.empty() || name == "jobmanager")
          throw error(errc::invalid_argument,
                      where + "does not name a TaskManager (the file's name, without .pub, is the "
                              "TaskManager's taskmanager.resource-id; 'jobmanager' is the "
                              "JobManager's own)");
        auto key = read_public_key_file(path);
        auto [at, fresh] = name_of_key.emplace(key, name);
        if (!fresh)
          throw error(errc::invalid_argument, where + "holds the key of '" + at->second +
                                                  ".pub' too: a key belongs to one TaskManager");
        s.ring->bind(name, key);
        names += (names.empty() ? "" : ", ") + name;
      }
      s.description = "CURVE, key " + key_file + ", " + std::to_string(files.size()) +
                      " trusted TaskManager key(s) in " + dir +
                      (names.empty() ? std::string() : " (TaskManagers " + names + ")");
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
