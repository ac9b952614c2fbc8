#include "spate/transport/endpoint.hpp"

#include <algorithm>
#include <list>
#include <map>
#include <random>
#include <unordered_map>
#include <vector>

#include <zmq.hpp>

#include "spate/core/error.hpp"
#include "spate/core/log.hpp"

namespace spate::transport {

struct endpoint::command {
  enum kind_t { send_frame, connect_peer, disconnect_peer, stop_io } kind = send_frame;
  std::string peer;
  std::string data; //!< the frame, or the address to connect to
};

struct endpoint::impl {
  zmq::context_t ctx{1};
  zmq::socket_t router{ctx, zmq::socket_type::router};
  zmq::socket_t wake_in{ctx, zmq::socket_type::pull};
  //! CURVE: ZeroMQ asks this socket whether a handshake's key may in (ZAP).
  std::unique_ptr<zmq::socket_t> zap;
  //! Handshakes with a key not trusted yet, waiting for it until a deadline.
  struct handshake {
    std::string routing, request_id, address, key;
    std::chrono::steady_clock::time_point deadline;
  };
  std::vector<handshake> held;
  static constexpr std::size_t max_held_handshakes = 256;
  //! CURVE: the name each sender was last found to use with its key, and
  //! the key ring's generation then (a changed binding empties it). A
  //! cache: emptied too when it reaches mesh_security::max_sender_names.
  std::unordered_map<std::string, std::string> proven;
  std::uint64_t proven_generation = 0;
  //! Senders whose frames were refused: logged once each.
  std::map<std::string, std::string> refused_logged;
  //! Notes that `what` refused `who` for `why`; true when it is new (log it).
  bool note_refusal(const std::string& who, const std::string& why) {
    if (refused_logged.size() > 4096)
      refused_logged.clear(); // a scan of many addresses: log them again later
    auto& logged = refused_logged[who];
    if (logged == why)
      return false;
    logged = why;
    return true;
  }
  std::mutex mu; //!< guards queue and wake_out
  zmq::socket_t wake_out{ctx, zmq::socket_type::push};
  std::deque<command> queue;
  bool stopped = false;
  // Owned by the I/O thread.
  struct link {
    std::unique_ptr<zmq::socket_t> socket;
    std::uint64_t session = 0;
    std::uint64_t next_seq = 1;
    //! Frames ZeroMQ did not take (its send high-water mark was reached), in
    //! order, and their bytes: sent when the socket can take them.
    std::deque<std::string> pending;
    std::size_t pending_bytes = 0;
    bool overflowing = false; //!< logged once until the queue drains
    std::string server_key;   //!< CURVE: the key the peer must prove
  };
  std::map<std::string, link> peers;
  std::map<std::string, std::string> addresses;
  //! The last number seen in each of a peer's recent sessions, in the
  //! order they were first seen (a few: a peer opens a new one only when it
  //! restarts or reconnects on purpose).
  struct arrivals {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> sessions;
    std::list<std::string>::iterator age; //!< its place in heard
  };
  static constexpr std::size_t sessions_kept = 8;
  //! At most mesh_security::max_sender_names names; `heard` orders them,
  //! least recently heard first, and the first goes when a new one comes.
  std::unordered_map<std::string, arrivals> from;
  std::list<std::string> heard;
  bool forgetting_logged = false;
  std::mt19937_64 sessions{std::random_device{}()};
  std::atomic<std::uint64_t> frames_in{0}, frames_out{0}, bytes_in{0}, bytes_out{0}, rejected{0},
      gaps{0}, dropped{0}, handshakes_refused{0}, impostor_frames{0}, handshakes_held{0},
      sender_names{0}, proven_names{0};
  //! Frames waiting in the links' pending queues now.
  std::atomic<std::uint64_t> queued{0};
  //! Forgets `peer`'s link and what waits in it.
  void forget(const std::string& peer) {
    auto it = peers.find(peer);
    if (it == peers.end())
      return;
    queued -= it->second.pending.size();
    peers.erase(it);
  }
  mesh_limits limits = transport::limits();
};

namespace {

void put_u64(unsigned char* out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i)
    out[i] = static_cast<unsigned char>((v >> (8 * i)) & 0xff);
}

std::uint64_t get_u64(const unsigned char* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v |= static_cast<std::uint64_t>(p[i]) << (8 * i);
  return v;
}

} // namespace

std::string routing_id(const std::string& id, std::uint64_t session) {
  char suffix[18];
  std::snprintf(suffix, sizeof suffix, "/%016llx", static_cast<unsigned long long>(session));
  return id + suffix;
}

std::string sender_name(const std::string& routing) {
  // "<name>/<16 hex digits>"; anything else is a name on its own.
  if (routing.size() > 17 && routing[routing.size() - 17] == '/' &&
      routing.find_first_not_of("0123456789abcdef", routing.size() - 16) == std::string::npos)
    return routing.substr(0, routing.size() - 17);
  return routing;
}

std::string encode_envelope(std::uint64_t session, std::uint64_t seq) {
  unsigned char head[envelope_size];
  put_u64(head, session);
  put_u64(head + 8, seq);
  return std::string(reinterpret_cast<const char*>(head), envelope_size);
}

namespace {
std::atomic<std::uint64_t> endpoint_counter{0};
}

endpoint::endpoint(std::string id, const std::string& bind, handler on_frame, gap_handler on_gap,
                   mesh_security security)
    : id_(std::move(id)), on_frame_(std::move(on_frame)), on_gap_(std::move(on_gap)),
      security_(std::move(security)), impl_(std::make_unique<impl>()) {
  auto& im = *impl_;
  if (security_.curve && (!security_.ring || !is_curve_key(security_.own.secret_key) ||
                          !is_curve_key(security_.own.public_key)))
    throw error(errc::invalid_argument, "endpoint " + id_ + ": CURVE needs a key pair and keys");
  try {
    if (security_.curve) {
      // ZeroMQ consults the handler bound here (in this endpoint's own
      // context) during every handshake on the ROUTER; it is bound before
      // the ROUTER, so no connection gets in unasked.
      im.zap = std::make_unique<zmq::socket_t>(im.ctx, zmq::socket_type::router);
      im.zap->set(zmq::sockopt::linger, 0);
      im.zap->bind("inproc://zeromq.zap.01");
      im.router.set(zmq::sockopt::curve_server, 1);
      im.router.set(zmq::sockopt::curve_secretkey, security_.own.secret_key);
      im.router.set(zmq::sockopt::zap_domain, "spate");
    }
    im.router.set(zmq::sockopt::linger, 0);
    // A peer that sends faster than this process reads waits (TCP pushes
    // back); a message over the frame size limit is refused by ZeroMQ before
    // it is allocated, and the connection that sent it is dropped.
    im.router.set(zmq::sockopt::rcvhwm, im.limits.receive_hwm);
    im.router.set(zmq::sockopt::maxmsgsize,
                  static_cast<std::int64_t>(im.limits.max_frame_size + frame_overhead));
    im.router.set(zmq::sockopt::router_handover, 1);
    im.router.bind(bind);
    address_ = im.router.get(zmq::sockopt::last_endpoint);
    std::string wake = "inproc://spate-wake-" + std::to_string(endpoint_counter.fetch_add(1));
    im.wake_in.bind(wake);
    im.wake_out.connect(wake);
    im.wake_out.set(zmq::sockopt::linger, 0);
    im.wake_in.set(zmq::sockopt::linger, 0);
  } catch (const zmq::error_t& e) {
    throw error(errc::io, "cannot bind '" + bind + "': " + e.what());
  }
  thread_ = std::thread([this] { run(); });
}

endpoint::~endpoint() { stop(); }

int endpoint::port() const {
  auto colon = address_.rfind(':');
  return colon == std::string::npos ? 0 : std::stoi(address_.substr(colon + 1));
}

void endpoint::enqueue(command c) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (impl_->stopped)
    return;
  bool was_empty = impl_->queue.empty();
  impl_->queue.push_back(std::move(c));
  if (was_empty) {
    // Fails only when the pipe is full, and then a wake-up is already pending.
    zmq::message_t token(static_cast<std::size_t>(0));
    (void)impl_->wake_out.send(token, zmq::send_flags::dontwait);
  }
}

void endpoint::send(const std::string& peer, std::string frame) {
  enqueue({command::send_frame, peer, std::move(frame)});
}

void endpoint::connect(const std::string& peer, const std::string& address) {
  enqueue({command::connect_peer, peer, address});
}

void endpoint::disconnect(const std::string& peer) {
  enqueue({command::disconnect_peer, peer, {}});
}

void endpoint::trust(const std::string& peer, const std::string& public_key) {
  if (!security_.curve)
    return;
  if (!is_curve_key(public_key))
    throw error(errc::invalid_argument,
                "endpoint " + id_ + ": '" + public_key + "' for '" + peer + "' is not a CURVE key");
  security_.ring->bind(peer, public_key);
}

bool endpoint::trust(const std::string& peer, const std::string& public_key,
                     const std::string& scope) {
  if (!security_.curve)
    return true;
  if (!is_curve_key(public_key))
    throw error(errc::invalid_argument,
                "endpoint " + id_ + ": '" + public_key + "' for '" + peer + "' is not a CURVE key");
  if (security_.ring->learn(scope, peer, public_key))
    return true;
  spate::log().warn("endpoint {}: '{}' keeps its own key: {} for it (for {}) is not taken", id_,
                    peer, public_key, scope);
  return false;
}

std::vector<std::string> endpoint::release_trust(const std::string& scope) {
  if (!security_.curve)
    return {};
  auto gone = security_.ring->release(scope);
  // Links made with those keys: a later connect() makes a new one with
  // whatever key the peer has then.
  for (auto& peer : gone)
    disconnect(peer);
  return gone;
}

std::string endpoint::public_key(const std::string& peer) const {
  return security_.curve ? security_.ring->key_of(peer) : std::string();
}

void endpoint::answer_handshakes() {
  auto& im = *impl_;
  auto reply = [&](impl::handshake& h, bool ok, const std::string& why) {
    if (!ok) {
      ++im.handshakes_refused;
      // One line per address: a scanner or a misconfigured peer retries.
      if (im.note_refusal("handshake from " + h.address, why))
        spate::log().warn("endpoint {}: refused a connection from {}: {}", id_, h.address, why);
    }
    // User-Id: the key itself; each frame's sender name is checked against it.
    std::vector<std::string> parts{h.routing,
                                   "",
                                   "1.0",
                                   h.request_id,
                                   ok ? "200" : "400",
                                   ok ? "OK" : "not trusted",
                                   ok ? h.key : std::string(),
                                   ""};
    for (std::size_t i = 0; i < parts.size(); ++i)
      (void)im.zap->send(zmq::buffer(parts[i]),
                         i + 1 < parts.size() ? zmq::send_flags::sndmore | zmq::send_flags::dontwait
                                              : zmq::send_flags::dontwait);
  };
  for (;;) {
    // ZAP (RFC 27) through a ROUTER, so requests can wait: the asking
    // connection's routing id, an empty delimiter, then version, request id,
    // domain, address, identity, mechanism, credentials (CURVE: the client's
    // long-term public key).
    std::vector<zmq::message_t> request;
    zmq::message_t part;
    if (!im.zap->recv(part, zmq::recv_flags::dontwait))
      break;
    request.push_back(std::move(part));
    while (im.zap->get(zmq::sockopt::rcvmore)) {
      zmq::message_t more;
      (void)im.zap->recv(more, zmq::recv_flags::none);
      request.push_back(std::move(more));
    }
    if (request.size() < 4)
      continue; // not ZAP: nothing to answer
    impl::handshake h;
    h.routing = request[0].to_string();
    h.request_id = request[3].to_string();
    h.address = request.size() > 5 ? request[5].to_string() : std::string();
    if (request.size() < 9 || request[2].to_string() != "1.0" ||
        request[7].to_string() != "CURVE" || request[8].size() != 32) {
      reply(h, false, "not a CURVE handshake");
      continue;
    }
    char z85[41];
    if (!zmq_z85_encode(z85, static_cast<const std::uint8_t*>(request[8].data()), 32)) {
      reply(h, false, "an unreadable key");
      continue;
    }
    h.key = z85;
    if (security_.ring->knows(h.key)) {
      reply(h, true, {});
      continue;
    }
    // A key this process may learn in a moment (a deployment names the
    // TaskManagers of a job to each of them at about the same time): the
    // handshake waits for it a while, a bounded number at once, and from one
    // address no more than its share.
    if (security_.handshake_wait_ms > 0) {
      auto from_there = static_cast<std::size_t>(
          std::count_if(im.held.begin(), im.held.end(),
                        [&](const impl::handshake& w) { return w.address == h.address; }));
      if (from_there >= security_.max_held_handshakes_per_address) {
        reply(h, false,
              "an untrusted key, and " + std::to_string(from_there) +
                  " handshakes from this address already wait for keys (at most " +
                  std::to_string(security_.max_held_handshakes_per_address) + ")");
        continue;
      }
      if (im.held.size() < impl::max_held_handshakes) {
        h.deadline = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(security_.handshake_wait_ms);
        im.held.push_back(std::move(h));
        im.handshakes_held = im.held.size();
        continue;
      }
    }
    reply(h, false, "key " + h.key + " is not trusted");
  }
  // The ones waiting: in now, or out of time.
  auto now = std::chrono::steady_clock::now();
  for (auto it = im.held.begin(); it != im.held.end();) {
    if (security_.ring->knows(it->key))
      reply(*it, true, {});
    else if (now >= it->deadline)
      reply(*it, false, "key " + it->key + " is not trusted");
    else {
      ++it;
      continue;
    }
    it = im.held.erase(it);
  }
  im.handshakes_held = im.held.size();
}

bool endpoint::sender_proven(const std::string& from, zmq_msg_t* part) {
  auto& im = *impl_;
  const char* key = zmq_msg_gets(part, "User-Id");
  if (key == nullptr)
    return false;
  auto generation = security_.ring->generation();
  if (generation != im.proven_generation) {
    im.proven.clear();
    im.proven_names = 0;
    im.proven_generation = generation;
  }
  auto it = im.proven.find(from);
  if (it != im.proven.end() && it->second == key)
    return true;
  std::string why;
  if (security_.ring->admit(from, key, why)) {
    if (im.proven.size() >= std::max<std::size_t>(1, security_.max_sender_names))
      im.proven.clear(); // a cache: names in use find their way back
    im.proven[from] = key;
    im.proven_names = im.proven.size();
    return true;
  }
  ++im.impostor_frames;
  if (im.note_refusal(from, why)) {
    spate::log().warn("endpoint {}: dropped frames from a sender calling itself '{}': {}", id_,
                      from, why);
  }
  return false;
}

endpoint_stats endpoint::stats() const {
  auto& im = *impl_;
  endpoint_stats s;
  s.frames_in = im.frames_in.load();
  s.frames_out = im.frames_out.load();
  s.bytes_in = im.bytes_in.load();
  s.bytes_out = im.bytes_out.load();
  s.rejected = im.rejected.load();
  s.gaps = im.gaps.load();
  s.dropped = im.dropped.load();
  s.queued = im.queued.load();
  s.handshakes_refused = im.handshakes_refused.load();
  s.impostor_frames = im.impostor_frames.load();
  s.handshakes_held = im.handshakes_held.load();
  s.sender_names = im.sender_names.load();
  s.proven_names = im.proven_names.load();
  return s;
}

void endpoint::stop() {
  if (!thread_.joinable())
    return;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (!impl_->stopped) {
      impl_->queue.push_back({command::stop_io, {}, {}});
      // Fails only when the pipe is full, and then a wake-up is already pending.
      zmq::message_t token(static_cast<std::size_t>(0));
      (void)impl_->wake_out.send(token, zmq::send_flags::dontwait);
    }
  }
  thread_.join();
}

bool endpoint::admit(const std::string& from, std::uint64_t session, std::uint64_t seq) {
  auto& im = *impl_;
  auto report = [&](const std::string& what) {
    ++im.gaps;
    spate::log().warn("endpoint {}: {}", id_, what);
    if (on_gap_) {
      try {
        on_gap_(from, what);
      } catch (const std::exception& e) {
        spate::log().error("endpoint {}: the gap handler failed: {}", id_, e.what());
      }
    }
  };
  if (session == 0 || seq == 0) {
    ++im.rejected;
    spate::log().warn("endpoint {}: rejected a frame from '{}' with session {} number {}", id_,
                      from, session, seq);
    return false;
  }
  auto it = im.from.find(from);
  if (it == im.from.end()) {
    // The first this process hears of the peer: what it sent before went to
    // an earlier process at this address, or nowhere. Names are not free:
    // beyond the bound the least recently heard one is forgotten (its next
    // frame is taken as this one is).
    auto cap = std::max<std::size_t>(1, security_.max_sender_names);
    while (im.from.size() >= cap) {
      if (!im.forgetting_logged) {
        im.forgetting_logged = true;
        spate::log().warn("endpoint {}: frames come under more than {} sender names; the least "
                          "recently heard are forgotten (first: '{}')",
                          id_, cap, im.heard.front());
      }
      im.from.erase(im.heard.front());
      im.heard.pop_front();
    }
    auto& a = im.from[from];
    a.sessions.emplace_back(session, seq);
    a.age = im.heard.insert(im.heard.end(), from);
    im.sender_names = im.from.size();
    return true;
  }
  im.heard.splice(im.heard.end(), im.heard, it->second.age);
  // Numbers count per session: frames of a session the peer left (late
  // ones of an old connection, or of another socket using its name) are
  // checked against that session's own numbers.
  auto& known = it->second.sessions;
  auto at =
      std::find_if(known.begin(), known.end(), [&](const auto& s) { return s.first == session; });
  std::uint64_t last = 0; // a new session starts at 1
  if (at != known.end()) {
    last = at->second;
  } else {
    if (known.size() == impl::sessions_kept)
      known.erase(known.begin());
    at = known.emplace(known.end(), session, 0);
  }
  if (seq <= last) {
    ++im.rejected;
    spate::log().warn("endpoint {}: dropped frame {} from '{}' again (after {})", id_, seq, from,
                      last);
    return false;
  }
  if (seq != last + 1)
    report(seq - last - 1 == 1
               ? "frame " + std::to_string(last + 1) + " from '" + from +
                     "' was lost (its connection dropped)"
               : "frames " + std::to_string(last + 1) + " to " + std::to_string(seq - 1) +
                     " from '" + from + "' were lost (their connection dropped)");
  at->second = seq;
  return true;
}

namespace {

//! Hands `bytes` to `link`'s socket as frame next_seq; false when ZeroMQ's
//! queue for the peer is full (nothing was sent, the bytes are kept).
template <class Link>
bool try_send(Link& link, std::string& bytes) {
  std::size_t n = bytes.size();
  // 16 bytes: ZeroMQ keeps them inside the message, no allocation.
  unsigned char head[envelope_size];
  put_u64(head, link.session);
  put_u64(head + 8, link.next_seq);
  zmq::message_t envelope(head, envelope_size);
  // The first part is refused when the high-water mark is reached, the rest
  // of a message never: the frame goes with the envelope or neither goes.
  if (!link.socket->send(envelope, zmq::send_flags::sndmore | zmq::send_flags::dontwait))
    return false;
  // The frame's bytes go to ZeroMQ without a copy; it frees them.
  auto* owned = new std::string(std::move(bytes));
  zmq::message_t msg(
      owned->data(), n, [](void*, void* hint) { delete static_cast<std::string*>(hint); }, owned);
  (void)link.socket->send(msg, zmq::send_flags::none);
  ++link.next_seq;
  return true;
}

} // namespace

void endpoint::run() {
  auto& im = *impl_;
  std::vector<zmq::pollitem_t> items;
  std::vector<std::string> waiting; //!< peers of items[2...]: pending frames
  std::deque<command> work;
  // Sends what waits for `link` while ZeroMQ takes it.
  auto flush = [&](impl::link& link) {
    while (!link.pending.empty()) {
      std::size_t n = link.pending.front().size();
      if (!try_send(link, link.pending.front()))
        return;
      link.pending.pop_front();
      --im.queued;
      link.pending_bytes -= n;
      ++im.frames_out;
      im.bytes_out += n;
    }
    link.overflowing = false;
  };
  for (;;) {
    items.assign({{im.router.handle(), 0, ZMQ_POLLIN, 0}, {im.wake_in.handle(), 0, ZMQ_POLLIN, 0}});
    if (im.zap)
      items.push_back({im.zap->handle(), 0, ZMQ_POLLIN, 0});
    std::size_t first_peer = items.size();
    waiting.clear();
    for (auto& [peer, link] : im.peers)
      if (!link.pending.empty()) {
        items.push_back({link.socket->handle(), 0, ZMQ_POLLOUT, 0});
        waiting.push_back(peer);
      }
    try {
      // Waiting handshakes are looked at again every few milliseconds.
      zmq::poll(items, std::chrono::milliseconds(im.held.empty() ? -1 : 20));
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR)
        continue;
      spate::log().error("endpoint {}: poll failed: {}", id_, e.what());
      return;
    }
    if (im.zap && ((items[2].revents & ZMQ_POLLIN) || !im.held.empty()))
      answer_handshakes();
    for (std::size_t i = first_peer; i < items.size(); ++i)
      if (items[i].revents & ZMQ_POLLOUT) {
        auto it = im.peers.find(waiting[i - first_peer]);
        if (it != im.peers.end())
          flush(it->second);
      }
    if (items[0].revents & ZMQ_POLLIN) {
      // Everything that is there now, without blocking.
      for (int n = 0; n < 256; ++n) {
        zmq::message_t identity, body;
        auto got = im.router.recv(identity, zmq::recv_flags::dontwait);
        if (!got)
          break;
        std::string from = sender_name(identity.to_string());
        // [envelope][frame], nothing more, nothing less.
        zmq::message_t envelope;
        int parts = 1;
        while (im.router.get(zmq::sockopt::rcvmore)) {
          // ZeroMQ delivers a message's parts together: once the first is
          // here, these blocking reads of the rest return at once.
          zmq::message_t part;
          (void)im.router.recv(part, zmq::recv_flags::none);
          if (++parts == 2)
            envelope = std::move(part);
          else if (parts == 3)
            body = std::move(part);
        }
        im.bytes_in += envelope.size() + body.size();
        if (parts != 3 || envelope.size() != envelope_size) {
          ++im.rejected;
          spate::log().warn("endpoint {}: rejected a message from '{}': {} part(s), an envelope "
                            "of {} bytes (a frame is 2 parts, the first of {} bytes)",
                            id_, from, parts - 1, envelope.size(), envelope_size);
          continue;
        }
        // CURVE: before anything of the frame is looked at.
        if (security_.curve && !sender_proven(from, envelope.handle()))
          continue;
        auto* head = static_cast<const unsigned char*>(envelope.data());
        if (!admit(from, get_u64(head), get_u64(head + 8)))
          continue;
        frame f;
        try {
          f = decode_frame(std::string_view(static_cast<const char*>(body.data()), body.size()),
                           from);
        } catch (const std::exception& e) {
          ++im.rejected;
          spate::log().warn("endpoint {}: {}", id_, e.what());
          continue;
        }
        ++im.frames_in;
        try {
          on_frame_(from, std::move(f));
        } catch (const std::exception& e) {
          ++im.rejected;
          spate::log().warn("endpoint {}: a {} frame from '{}' was refused: {}", id_,
                            to_string(f.type), from, e.what());
        }
      }
    }
    if (items[1].revents & ZMQ_POLLIN) {
      zmq::message_t token;
      while (im.wake_in.recv(token, zmq::recv_flags::dontwait)) {
      }
      {
        std::lock_guard<std::mutex> lock(im.mu);
        work.swap(im.queue);
      }
      for (auto& c : work) {
        try {
          switch (c.kind) {
            case command::stop_io: {
              std::lock_guard<std::mutex> lock(im.mu);
              im.stopped = true;
              im.queue.clear();
              im.peers.clear();
              im.queued = 0;
              im.router.close();
              if (im.zap)
                im.zap->close();
              return;
            }
            case command::connect_peer: {
              auto& a = im.addresses[c.peer];
              std::string server_key =
                  security_.curve ? security_.ring->key_of(c.peer) : std::string();
              auto known = im.peers.find(c.peer);
              if (a == c.data && known != im.peers.end() && known->second.server_key == server_key)
                break;
              a = c.data;
              auto s = std::make_unique<zmq::socket_t>(im.ctx, zmq::socket_type::dealer);
              // A new socket starts a new session: the peer expects frame 1.
              std::uint64_t session;
              do
                session = im.sessions();
              while (session == 0);
              s->set(zmq::sockopt::linger, 0);
              s->set(zmq::sockopt::sndhwm, im.limits.send_hwm);
              s->set(zmq::sockopt::routing_id, routing_id(id_, session));
              s->set(zmq::sockopt::reconnect_ivl, 100);
              s->set(zmq::sockopt::reconnect_ivl_max, 1000);
              if (security_.curve) {
                const auto& key = server_key;
                if (key.empty()) {
                  spate::log().error("endpoint {}: no public key is known for '{}': not "
                                     "connecting to it",
                                     id_, c.peer);
                  break;
                }
                s->set(zmq::sockopt::curve_serverkey, key);
                s->set(zmq::sockopt::curve_publickey, security_.own.public_key);
                s->set(zmq::sockopt::curve_secretkey, security_.own.secret_key);
              }
              try {
                s->connect(c.data);
              } catch (const zmq::error_t& e) {
                spate::log().warn("endpoint {}: cannot connect to '{}' at '{}': {}", id_, c.peer,
                                  c.data, e.what());
                break;
              }
              impl::link l;
              l.socket = std::move(s);
              l.session = session;
              l.server_key = server_key;
              im.forget(c.peer);
              im.peers[c.peer] = std::move(l);
              break;
            }
            case command::disconnect_peer:
              im.forget(c.peer);
              im.addresses.erase(c.peer);
              break;
            case command::send_frame: {
              auto it = im.peers.find(c.peer);
              if (it == im.peers.end()) {
                spate::log().debug("endpoint {}: dropped a frame for unknown peer '{}'", id_,
                                   c.peer);
                break;
              }
              auto& link = it->second;
              std::size_t n = c.data.size();
              if (link.pending.empty() && try_send(link, c.data)) {
                ++im.frames_out;
                im.bytes_out += n;
                break;
              }
              // ZeroMQ holds send_hwm frames for the peer already (it reads
              // slowly, or not at all): the frame waits here, in order, and
              // the senders' own bounds (credits) keep this short. A peer
              // that takes nothing for long loses frames: each takes its
              // number, so the peer sees the gap and stops trusting the
              // link, rather than frames silently missing.
              if (link.pending_bytes + n > im.limits.max_pending_bytes) {
                ++link.next_seq;
                ++im.dropped;
                if (!link.overflowing)
                  spate::log().error("endpoint {}: '{}' does not take its frames: {} bytes wait "
                                     "for it (mesh.max-pending-bytes); frames are dropped",
                                     id_, c.peer, link.pending_bytes);
                link.overflowing = true;
                break;
              }
              link.pending_bytes += n;
              link.pending.push_back(std::move(c.data));
              ++im.queued;
              break;
            }
          }
        } catch (const zmq::error_t& e) {
          // Out of sockets or memory: this command fails, the endpoint goes on.
          spate::log().error("endpoint {}: cannot {} '{}': {}", id_,
                             c.kind == command::send_frame ? "send to" : "connect to", c.peer,
                             e.what());
        }
      }
      work.clear();
    }
  }
}

} // namespace spate::transport
