#include "spate/transport/endpoint.hpp"

#include <map>
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
  std::mutex mu; //!< guards queue and wake_out
  zmq::socket_t wake_out{ctx, zmq::socket_type::push};
  std::deque<command> queue;
  bool stopped = false;
  // Owned by the I/O thread.
  std::map<std::string, std::unique_ptr<zmq::socket_t>> peers;
  std::map<std::string, std::string> addresses;
  std::atomic<std::uint64_t> frames_in{0}, frames_out{0}, bytes_in{0}, bytes_out{0}, rejected{0};
};

namespace {
std::atomic<std::uint64_t> endpoint_counter{0};
}

endpoint::endpoint(std::string id, const std::string& bind, handler on_frame)
    : id_(std::move(id)), on_frame_(std::move(on_frame)), impl_(std::make_unique<impl>()) {
  auto& im = *impl_;
  try {
    im.router.set(zmq::sockopt::linger, 0);
    im.router.set(zmq::sockopt::rcvhwm, 0);
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

endpoint_stats endpoint::stats() const {
  auto& im = *impl_;
  return {im.frames_in.load(), im.frames_out.load(), im.bytes_in.load(), im.bytes_out.load(),
          im.rejected.load()};
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

void endpoint::run() {
  auto& im = *impl_;
  std::vector<zmq::pollitem_t> items = {{im.router.handle(), 0, ZMQ_POLLIN, 0},
                                        {im.wake_in.handle(), 0, ZMQ_POLLIN, 0}};
  std::deque<command> work;
  for (;;) {
    try {
      zmq::poll(items, std::chrono::milliseconds(-1));
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR)
        continue;
      spate::log().error("endpoint {}: poll failed: {}", id_, e.what());
      return;
    }
    if (items[0].revents & ZMQ_POLLIN) {
      // Everything that is there now, without blocking.
      for (int n = 0; n < 256; ++n) {
        zmq::message_t identity, body;
        auto got = im.router.recv(identity, zmq::recv_flags::dontwait);
        if (!got)
          break;
        std::string from = identity.to_string();
        bool extra = false;
        if (!im.router.get(zmq::sockopt::rcvmore)) {
          body = std::move(identity); // cannot happen on a ROUTER; be safe
          from = "(unknown)";
        } else {
          // ZeroMQ delivers a message's parts together: once the first is
          // here, these blocking reads of the rest return at once.
          (void)im.router.recv(body, zmq::recv_flags::none);
          while (im.router.get(zmq::sockopt::rcvmore)) {
            zmq::message_t rest;
            (void)im.router.recv(rest, zmq::recv_flags::none);
            extra = true;
          }
        }
        im.bytes_in += body.size();
        if (extra) {
          ++im.rejected;
          spate::log().warn("endpoint {}: rejected a multi-part message from '{}'", id_, from);
          continue;
        }
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
              im.router.close();
              return;
            }
            case command::connect_peer: {
              auto& a = im.addresses[c.peer];
              if (a == c.data && im.peers.count(c.peer))
                break;
              a = c.data;
              auto s = std::make_unique<zmq::socket_t>(im.ctx, zmq::socket_type::dealer);
              s->set(zmq::sockopt::linger, 0);
              s->set(zmq::sockopt::sndhwm, 0);
              s->set(zmq::sockopt::routing_id, id_);
              s->set(zmq::sockopt::reconnect_ivl, 100);
              s->set(zmq::sockopt::reconnect_ivl_max, 1000);
              try {
                s->connect(c.data);
              } catch (const zmq::error_t& e) {
                spate::log().warn("endpoint {}: cannot connect to '{}' at '{}': {}", id_, c.peer,
                                  c.data, e.what());
                break;
              }
              im.peers[c.peer] = std::move(s);
              break;
            }
            case command::disconnect_peer:
              im.peers.erase(c.peer);
              im.addresses.erase(c.peer);
              break;
            case command::send_frame: {
              auto it = im.peers.find(c.peer);
              if (it == im.peers.end()) {
                spate::log().debug("endpoint {}: dropped a frame for unknown peer '{}'", id_,
                                   c.peer);
                break;
              }
              std::size_t n = c.data.size();
              // The frame's bytes go to ZeroMQ without a copy; it frees them.
              auto* owned = new std::string(std::move(c.data));
              zmq::message_t msg(
                  owned->data(), n,
                  [](void*, void* hint) { delete static_cast<std::string*>(hint); }, owned);
              if (it->second->send(msg, zmq::send_flags::dontwait)) {
                ++im.frames_out;
                im.bytes_out += n;
              }
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
