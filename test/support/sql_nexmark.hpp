// The Nexmark tables of the SQL tests: the DDL of test/sql/nexmark/ddl.sql on spate's
// `nexmark` connector (20,000 events at 1,000 a second of event time: 20 s of events), and
// its person, auction and bid views with the bid's channel and url.
#pragma once

#include <cstdint>
#include <string>

namespace spate::test {

constexpr std::int64_t sql_nexmark_events = 20'000;
constexpr int sql_nexmark_rate = 1'000;

//! The nexmark table; `extra` options ("'k' = 'v', ") go first into its WITH clause.
inline std::string nexmark_ddl(const std::string& extra = "") {
  return R"(
CREATE TABLE nexmark (
    event_type int,
    person ROW<id BIGINT, name VARCHAR, emailAddress VARCHAR, creditCard VARCHAR, city VARCHAR,
               state VARCHAR, dateTime TIMESTAMP(3), extra VARCHAR>,
    auction ROW<id BIGINT, itemName VARCHAR, description VARCHAR, initialBid BIGINT,
                reserve BIGINT, dateTime TIMESTAMP(3), expires TIMESTAMP(3), seller BIGINT,
                category BIGINT, extra VARCHAR>,
    bid ROW<auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
            dateTime TIMESTAMP(3), extra VARCHAR>,
    dateTime AS
        CASE
            WHEN event_type = 0 THEN person.dateTime
            WHEN event_type = 1 THEN auction.dateTime
            ELSE bid.dateTime
        END,
    WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
) WITH ()" +
         extra +
         R"(
    'connector' = 'nexmark',
    'first-event.rate' = '1000',
    'next-event.rate' = '1000',
    'events.num' = '20000'
))";
}

inline const char* const nexmark_person_view = R"(
CREATE VIEW person AS
SELECT person.id, person.name, person.emailAddress, person.creditCard, person.city,
       person.state, dateTime, person.extra
FROM nexmark WHERE event_type = 0)";

inline const char* const nexmark_auction_view = R"(
CREATE VIEW auction AS
SELECT auction.id, auction.itemName, auction.description, auction.initialBid, auction.reserve,
       dateTime, auction.expires, auction.seller, auction.category, auction.extra
FROM nexmark WHERE event_type = 1)";

inline const char* const nexmark_bid_view = R"(
CREATE VIEW bid AS
SELECT bid.auction, bid.bidder, bid.price, bid.channel, bid.url, dateTime, bid.extra
FROM nexmark WHERE event_type = 2)";

} // namespace spate::test
