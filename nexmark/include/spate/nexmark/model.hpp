// The Nexmark data model: an online auction's people, auctions and bids, as
// the Nexmark specification (and Apache Beam's and the nexmark project's
// generators) define them. Times are milliseconds since the epoch.
#pragma once

#include <cstdint>
#include <string>

#include "spate/core/codec.hpp"
#include "spate/core/types.hpp"

namespace spate::nexmark {

struct person {
  std::int64_t id = 0;
  std::string name;
  std::string email_address;
  std::string credit_card;
  std::string city;
  std::string state;
  timestamp date_time = 0;
  std::string extra;
  SPATE_FIELDS(id, name, email_address, credit_card, city, state, date_time, extra);
  friend bool operator==(const person& a, const person& b) {
    return a.id == b.id && a.name == b.name && a.email_address == b.email_address &&
           a.credit_card == b.credit_card && a.city == b.city && a.state == b.state &&
           a.date_time == b.date_time && a.extra == b.extra;
  }
};

struct auction {
  std::int64_t id = 0;
  std::string item_name;
  std::string description;
  std::int64_t initial_bid = 0;
  std::int64_t reserve = 0;
  timestamp date_time = 0;
  timestamp expires = 0;
  std::int64_t seller = 0;
  std::int64_t category = 0;
  std::string extra;
  SPATE_FIELDS(id, item_name, description, initial_bid, reserve, date_time, expires, seller,
               category, extra);
  friend bool operator==(const auction& a, const auction& b) {
    return a.id == b.id && a.item_name == b.item_name && a.description == b.description &&
           a.initial_bid == b.initial_bid && a.reserve == b.reserve && a.date_time == b.date_time &&
           a.expires == b.expires && a.seller == b.seller && a.category == b.category &&
           a.extra == b.extra;
  }
};

struct bid {
  std::int64_t auction = 0;
  std::int64_t bidder = 0;
  std::int64_t price = 0;
  std::string channel;
  std::string url;
  timestamp date_time = 0;
  std::string extra;
  SPATE_FIELDS(auction, bidder, price, channel, url, date_time, extra);
  friend bool operator==(const bid& a, const bid& b) {
    return a.auction == b.auction && a.bidder == b.bidder && a.price == b.price &&
           a.channel == b.channel && a.url == b.url && a.date_time == b.date_time &&
           a.extra == b.extra;
  }
};

enum class event_type : std::uint8_t { person = 0, auction = 1, bid = 2 };

//! One generated event: exactly one of the three members is meaningful, the
//! one `type` names (the others stay default, which costs no allocation).
struct event {
  //! User-provided, so that value-initialisation (a batch's emplace_back())
  //! does not first zero all ~500 bytes.
  event() noexcept {}
  event_type type = event_type::bid;
  person new_person;
  auction new_auction;
  bid new_bid;
  //! The event's date_time, whichever kind it is.
  timestamp date_time() const {
    switch (type) {
      case event_type::person:
        return new_person.date_time;
      case event_type::auction:
        return new_auction.date_time;
      default:
        return new_bid.date_time;
    }
  }
  SPATE_FIELDS(type, new_person, new_auction, new_bid);
};

} // namespace spate::nexmark

MSGPACK_ADD_ENUM(spate::nexmark::event_type);
