#!/usr/bin/env node
// Transport benchmark:
//   pnpm build && pnpm bench:transports [--count 100000] [--size 1024] [--rounds 3] [--only amqp,redis]
// Needs the packages built first (`pnpm build`): the modules import each package's dist.
//
// For every transport module in ./bench-transports/*.mjs it publishes then consumes `count`
// messages of `size` bytes, once through the raw client library doing equivalent work and once
// through the playtally adapter, prints msgs/s for both and the adapter/raw ratio (target >= 0.8),
// then measures publish -> handler latency (p50/p99) through the adapter at a steady rate.
//
// A transport module (e.g. bench-transports/kafka.mjs) default-exports:
//   {
//     name: 'kafka',                                 // column label
//     url: 'kafka://127.0.0.1:9092',                 // shown in the header (redacted)
//     available: async () => boolean,               // false skips the module with a note
//     raw: async ({ count, size }) => ({ publishPerSec, consumePerSec }) | undefined,
//                                                    // raw client: publish `count` messages (durably
//                                                    // confirmed, pipelined), then consume them all
//                                                    // with acknowledgements; undefined = no raw client
//     adapter: async ({ count, size }) => ({ publishPerSec, consumePerSec }),
//                                                    // the same through the playtally Transport:
//                                                    // ensure a group, publish with up to 1,000 in-flight
//                                                    // publishes, subscribe with concurrency 500
//     latency: async ({ count, size }) => ({ p50, p99 }),   // ms, publish() call -> handler start
//   }
// Helpers shared by the modules (payloads, timing, percentiles) live in ./bench-transports/lib.mjs.
import { readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '100000' },
    size: { type: 'string', default: '1024' },
    only: { type: 'string' },
    'latency-count': { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '3' },
  },
});
const count = Number(values.count);
const size = Number(values.size);
const latencyCount = Number(values['latency-count']);
const only = values.only?.split(',');
const rounds = Math.max(1, Number(values.rounds));
const median = (list) => {
  const sorted = list.filter((value) => value !== undefined).sort((a, b) => a - b);
  return sorted.length === 0 ? undefined : sorted[Math.floor(sorted.length / 2)];
};

const folder = new URL('./bench-transports/', import.meta.url);
const files = readdirSync(folder)
  .filter((file) => file.endsWith('.mjs') && file !== 'lib.mjs')
  .sort();

const redact = (url) => url.replace(/^([a-z]+:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
const rate = (value) =>
  value === undefined ? '-' : `${Math.round(value).toLocaleString('en-US')}/s`;
const ratio = (adapter, raw) =>
  adapter === undefined || raw === undefined ? '-' : (adapter / raw).toFixed(2);

console.log(
  `playtally transport bench: ${count.toLocaleString('en-US')} messages of ${size} bytes, median of ${rounds} rounds`,
);
const rows = [];
for (const file of files) {
  const { default: transport } = await import(new URL(file, folder).href);
  if (only !== undefined && !only.includes(transport.name)) continue;
  if (!(await transport.available())) {
    console.log(`- ${transport.name}: skipped, nothing answers at ${redact(transport.url)}`);
    continue;
  }
  // Raw and adapter alternate, `rounds` times, and each figure is the median: on a shared
  // machine single runs swing by 2x.
  const raws = [];
  const adapters = [];
  for (let round = 1; round <= rounds; round += 1) {
    console.log(
      `- ${transport.name} (${redact(transport.url)}), round ${round}/${rounds}: raw client, then adapter...`,
    );
    const rawRound = await transport.raw({ count, size });
    const adapterRound = await transport.adapter({ count, size });
    raws.push(rawRound);
    adapters.push(adapterRound);
    // Every round's figures, so the spread behind each median is visible.
    console.log(
      `    publish raw ${rate(rawRound?.publishPerSec)}, adapter ${rate(adapterRound.publishPerSec)}; ` +
        `consume raw ${rate(rawRound?.consumePerSec)}, adapter ${rate(adapterRound.consumePerSec)}`,
    );
  }
  const raw =
    raws[0] === undefined
      ? undefined
      : {
          publishPerSec: median(raws.map((r) => r.publishPerSec)),
          consumePerSec: median(raws.map((r) => r.consumePerSec)),
        };
  const adapter = {
    publishPerSec: median(adapters.map((r) => r.publishPerSec)),
    consumePerSec: median(adapters.map((r) => r.consumePerSec)),
  };
  console.log(
    `- ${transport.name}: latency (${latencyCount.toLocaleString('en-US')} messages at a steady rate)...`,
  );
  const latency = await transport.latency({ count: latencyCount, size });
  rows.push({
    transport: transport.name,
    'raw publish': rate(raw?.publishPerSec),
    'adapter publish': rate(adapter.publishPerSec),
    'publish ratio': ratio(adapter.publishPerSec, raw?.publishPerSec),
    'raw consume': rate(raw?.consumePerSec),
    'adapter consume': rate(adapter.consumePerSec),
    'consume ratio': ratio(adapter.consumePerSec, raw?.consumePerSec),
    'p50 ms': latency.p50.toFixed(2),
    'p99 ms': latency.p99.toFixed(2),
  });
}
console.table(rows);
process.exit(0);
