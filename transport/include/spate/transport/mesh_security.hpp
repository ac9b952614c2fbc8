// Who may talk to a process over the mesh. With CURVE on, every connection
// is encrypted and the connecting side proves it holds the secret half of a
// public key this process trusts; a frame is then taken only when the name
// its sender goes by belongs to that key. Without trusted keys nobody gets
// past the handshake, so nothing of theirs is decoded or buffered.
//
// Keys come from one of two places (docs/security.md):
//  - a cluster secret (security.cluster-secret-file): every process derives
//    the same key pair from it, so holding the secret is membership;
//  - key files (security.mesh.key-file, made by `spate keys generate`): each
//    process has its own pair. The JobManager trusts the TaskManager keys in
//    security.mesh.trusted-keys-dir, each under the name of its file
//    (tm1.pub: the TaskManager whose taskmanager.resource-id is tm1); a
//    TaskManager trusts the JobManager's key
//    (security.mesh.jobmanager-key-file) and, while a job runs, the keys the
//    JobManager hands out in its deployment for the TaskManagers it runs on.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "spate/core/config.hpp"

namespace spate::transport {

namespace options {
inline constexpr const char* cluster_secret_file = "security.cluster-secret-file";
inline constexpr const char* mesh_key_file = "security.mesh.key-file";
inline constexpr const char* mesh_trusted_keys_dir = "security.mesh.trusted-keys-dir";
inline constexpr const char* mesh_jobmanager_key_file = "security.mesh.jobmanager-key-file";
inline constexpr const char* mesh_insecure = "security.mesh.insecure";
} // namespace options

//! A CURVE key pair, each half in Z85 (40 characters).
struct curve_keypair {
  std::string public_key;
  std::string secret_key;
};

//! A fresh random key pair.
curve_keypair generate_keypair();
//! The key pair every holder of cluster secret `secret` derives (BLAKE2b
//! keyed with the secret, then Curve25519's base point).
curve_keypair derive_keypair(const std::string& secret);
//! True for a well-formed Z85 CURVE key (40 characters that decode).
bool is_curve_key(const std::string& z85);

//! A fresh cluster secret: 32 random bytes as 64 hex digits.
std::string generate_cluster_secret();
//! Reads a cluster secret file. Throws errc::invalid_argument naming the
//! file when it is missing, not ours, readable by group or others, a link,
//! or holds less than 32 bytes' worth of hex digits.
std::string read_cluster_secret(const std::string& path);
//! Reads a key pair file ("public-key: ..." and "secret-key: ..." lines),
//! with the checks of read_cluster_secret.
curve_keypair read_keypair_file(const std::string& path);
//! Reads a public key file (the key on its first non-comment line).
std::string read_public_key_file(const std::string& path);
//! Writes `content` to a new file `path`, mode `mode`, refusing to replace
//! an existing file or follow a link. Throws errc::io naming the path.
void write_new_file(const std::string& path, const std::string& content, unsigned mode);
//! Writes `dir`/`name`.key (0600) and `dir`/`name`.pub (0644) for a new
//! key pair; returns it.
curve_keypair write_keypair_files(const std::string& dir, const std::string& name);

//! The public keys a process accepts and the peer names they may use.
//! Thread-safe.
//!
//! A name is bound to one key, for good (bind(): the JobManager's
//! TaskManagers, named by their key files, or a TaskManager's JobManager) or
//! for as long as a scope needs it (learn(): the keys a deployment hands out,
//! held by the job until it ends). A sender going by a bound name must prove
//! its key; any other name is open only to an allowed key (allow(): the
//! cluster key, which every member holds). Nothing is bound by use: a name
//! no one holds yet is not the first comer's.
class key_ring {
public:
  //! `key` may connect and use any name not bound to another key.
  void allow(const std::string& key);
  //! `peer` is `key` for good (replacing what it was, learned or not); the
  //! key may connect.
  void bind(const std::string& peer, const std::string& key);
  //! `peer` is `key` for as long as `scope` needs it (or another scope that
  //! learned the same); a new key for `peer` replaces the old one and what
  //! scopes needed it. False, and nothing changes, when `peer` is bound for
  //! good to another key. The default key is never learned (it needs no name).
  bool learn(const std::string& scope, const std::string& peer, const std::string& key);
  //! `scope` needs none of the keys it learned any more: the names no other
  //! scope needs are unbound (their keys may not connect or send under them).
  //! Returns those names.
  std::vector<std::string> release(const std::string& scope);
  //! The key a peer not bound by name has (the cluster key), or "".
  void set_default_key(const std::string& key);
  //! Whether `key` may connect at all (the handshake's question).
  bool knows(const std::string& key) const;
  //! Whether a sender that proved `key` may go by `peer`: a bound name with
  //! its own key, another name with an allowed key. Binds nothing. `why`
  //! says why not, naming the name and the key.
  bool admit(const std::string& peer, const std::string& key, std::string& why) const;
  //! `peer`'s key: bound, learned, or the default; "" when unknown.
  std::string key_of(const std::string& peer) const;
  //! The name bound to `key` ("" when none).
  std::string name_of(const std::string& key) const;
  //! Changes whenever a binding is made, replaced or dropped (caches of
  //! admit() check it).
  std::uint64_t generation() const;
  //! Names bound now, for good or learned.
  std::size_t size() const;

private:
  struct binding {
    std::string key;
    //! The scopes that learned it; empty: bound for good.
    std::set<std::string> scopes;
  };
  mutable std::mutex mu_;
  std::set<std::string> allowed_;
  std::map<std::string, binding> bound_;
  std::string default_key_;
  std::uint64_t generation_ = 0;
};

//! What an endpoint needs to speak CURVE; `curve` false: plain TCP.
struct mesh_security {
  bool curve = false;
  curve_keypair own;
  std::shared_ptr<key_ring> ring;
  //! How long a handshake with a key not trusted yet waits for it (key
  //! files on a TaskManager: a deployment hands out its peers' keys to all
  //! of them at once, and one may connect before the other read it).
  int handshake_wait_ms = 0;
  //! Of those, how many may wait at once from one address (the address
  //! ZeroMQ reports, the peer's IP): one address cannot take every place.
  //! A TaskManager's peers on one host connect once each, so this bounds the
  //! TaskManagers per host that can be waited for at the same time.
  std::size_t max_held_handshakes_per_address = 16;
  //! Sender names the endpoint keeps per-name state for (the numbers of
  //! their sessions, the key each proved); beyond it the least recently
  //! heard name is forgotten, which costs it no frame (its next one starts
  //! afresh). Bounds what a peer sending under ever new names makes it hold.
  std::size_t max_sender_names = 4096;
  //! For the start-up line: where the keys came from, or why there are none.
  std::string description;
};

//! Which role's keys to read.
enum class mesh_role { jobmanager, taskmanager };

//! The security.* options of `config` for a process of `role` that binds
//! `bind_host`. Without keys: plain TCP, allowed only when `bind_host` and
//! `peer_hosts` are loopback or security.mesh.insecure is true; otherwise
//! throws errc::invalid_argument saying what to set.
mesh_security security_from(const configuration& config, mesh_role role,
                            const std::string& bind_host, const std::string& peer_host);

//! True for localhost, ::1 and 127.0.0.0/8.
bool is_loopback_host(const std::string& host);

} // namespace spate::transport
