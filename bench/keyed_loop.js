#!/usr/bin/env node
// The plain-loop reference for spate-bench --pipeline window (issue #20): one
// thread, no framework, a Map per window. Event i has a key uniform over
// --keys and value i, event time i / 1000 ms (1 us per event, as
// apps::keyed_window); 1 s tumbling windows keep count and sum per key, and
// at each window's end every (key, count, sum, window_end) goes to a discard
// (a checksum, so nothing is optimized away).
//
// The keys come from a 32-bit xorshift generator: spate's generator (splitmix64
// per record) needs 64-bit arithmetic, which JavaScript only has as BigInt,
// and that would cost more than the loop. The distribution is the same
// (uniform), so the work per event is too.
//
// Usage: node bench/keyed_loop.js --events N --keys K
// Prints the same lines as spate-bench: events/s, cpu seconds, events/s/core.
"use strict";

function arg(name, dflt) {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? Number(process.argv[i + 1]) : dflt;
}
const events = arg("--events", 20000000);
const keys = arg("--keys", 10000);

let checksum = 0;
let emitted = 0;
function discard(r) {
  checksum = (checksum + r.key + r.count + r.sum + r.window_end) % 1000000007;
  emitted++;
}

function run() {
  let x = 2463534242; // xorshift32 state
  let window = new Map(); // key -> [count, sum] of the open window
  let windowEnd = 1000; // ms: event time of the first window's end (exclusive)
  for (let i = 0; i < events; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const key = (x >>> 0) % keys;
    const ts = Math.floor(i / 1000);
    if (ts >= windowEnd) {
      // The watermark passed the window: emit it, start the next.
      for (const [k, acc] of window) discard({ key: k, count: acc[0], sum: acc[1], window_end: windowEnd });
      window = new Map();
      windowEnd = (Math.floor(ts / 1000) + 1) * 1000;
    }
    const acc = window.get(key);
    if (acc === undefined) window.set(key, [1, i]);
    else {
      acc[0] += 1;
      acc[1] += i;
    }
  }
  for (const [k, acc] of window) discard({ key: k, count: acc[0], sum: acc[1], window_end: windowEnd });
}

const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
run();
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
const c = process.cpuUsage(cpu0);
const cpu = (c.user + c.system) / 1e6;
console.log("pipeline        node: a Map per 1 s window (count, sum) -> discard");
console.log(`events          ${events}`);
console.log(`keys            ${keys}`);
console.log(`results         ${emitted} (checksum ${checksum})`);
console.log(`seconds         ${secs.toFixed(3)}`);
console.log(`events/s        ${Math.round(events / secs)}`);
console.log(`cpu seconds     ${cpu.toFixed(3)}`);
console.log(`events/s/core   ${Math.round(events / cpu)}`);
console.log(`peak rss        ${(process.resourceUsage().maxRSS / 1024).toFixed(1)} MiB`);
