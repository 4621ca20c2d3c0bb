#!/usr/bin/env node
// `pnpm bench:service` (after `pnpm build`): measures the running system end to end.
//
//  (a) upload → result of a large low-cardinality CSV through the service (embedded default in
//      one process; RabbitMQ with separate API and worker processes when a broker answers on
//      127.0.0.1:5672) against the CLI alone on the same file; prints the ratio and checks that
//      the outputs are byte-identical. When an S3 server answers (S3Proxy from scripts/s3/start.sh)
//      the broker path runs a second time with STORAGE_URL=s3://… in the same rounds: both times,
//      their ratio, and the peak RSS of every server process.
//  (b) POST /v1/messages under load (autocannon, loopback only) against a reference measured in
//      the same run (a bare Hono route on the same server stack parsing the JSON and doing one
//      SQLite insert) and the server's own GET /healthz; the load's messages counted stored and
//      consumed in the database afterwards; the server's RSS before and after; publish →
//      WebSocket delivery latency of message.received, at rest and under that load; then 1,000
//      WebSocket clients at half the measured rate: does every client get every event, and how
//      late. Then the same load on RabbitMQ + PostgreSQL (API and worker processes), counted in
//      PostgreSQL (skipped with --skip-amqp or when no broker answers on 127.0.0.1:5672).
//
// Options: --rows N (default 10000000), --duration S (load seconds, default 20, or the
//          BENCH_DURATION environment variable for quick runs), --connections N (default 64),
//          --repeat N (runs per path, best kept; default 2), --ws-clients N (WebSocket clients
//          of the fan-out run, default 1000; 0 skips it),
//          --skip-amqp, --skip-s3, --skip-messages, --skip-jobs, --amqp-url URL,
//          --s3-endpoint URL (default http://127.0.0.1:9000), --keep (keep temp dir).
//
//  --split runs only (c): a large file (--split-rows, default 34000000 rows, about 1 GB) through
//  RabbitMQ + PostgreSQL with split jobs (SPLIT_BYTES, --split-bytes, default the server's
//  128 MiB): one worker process against two (concurrency 1 each), upload → result, the speed-up,
//  and the ratio to the single-threaded CLI (`--threads 1`) on the same file.

import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { measureFanOut } from './bench-service/fan-out.mjs';
import { ensureBuilt, findBenchFile, ROOT } from './bench-service/inputs.mjs';
import { fileDigest, runJob } from './bench-service/jobs.mjs';
import { measureDelivery, runAutocannon } from './bench-service/messages.mjs';
import { measureBrokerMessages } from './bench-service/messages-broker.mjs';
import { rssBytes, startReference, waitConsumed } from './bench-service/reference.mjs';
import { benchBucket } from './bench-service/s3.mjs';
import { startSplitSystem } from './bench-service/split-scaling.mjs';
import { startSystem, tcpOpen } from './bench-service/system.mjs';
import { formatMs, printTable } from './bench-service/table.mjs';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000000' },
    duration: { type: 'string', default: process.env.BENCH_DURATION ?? '20' },
    connections: { type: 'string', default: '64' },
    'ws-clients': { type: 'string', default: '1000' },
    repeat: { type: 'string', default: '2' },
    'amqp-url': { type: 'string', default: 'amqp://guest:guest@127.0.0.1:5672' },
    'skip-amqp': { type: 'boolean', default: false },
    's3-endpoint': { type: 'string', default: 'http://127.0.0.1:9000' },
    'skip-s3': { type: 'boolean', default: false },
    'skip-messages': { type: 'boolean', default: false },
    'skip-jobs': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    split: { type: 'boolean', default: false },
    'split-rows': { type: 'string', default: '34000000' },
    'split-bytes': { type: 'string' },
  },
});
const rows = Number(args.rows);
const duration = Number(args.duration);
const connections = Number(args.connections);
const repeat = Math.max(1, Number(args.repeat));
const wsClients = Number(args['ws-clients']);
if (!Number.isInteger(wsClients) || wsClients < 0) {
  console.error('bench:service: --ws-clients must be a whole number (0 skips the fan-out)');
  process.exit(2);
}
for (const [name, value] of Object.entries({ rows, duration, connections, repeat })) {
  if (!Number.isInteger(value) || value <= 0) {
    console.error(`bench:service: --${name} must be a positive integer`);
    process.exit(2);
  }
}

const CLI = join(ROOT, 'packages/core/bin/playtally.js');
const work = await mkdtemp(join(tmpdir(), 'playtally-bench-service-'));
/** @type {Array<{ stop: () => Promise<void> }>} */
const running = [];
/** @type {Array<() => Promise<void>>} */
const removals = [];

async function cleanup() {
  for (const system of running.splice(0)) await system.stop().catch(() => {});
  for (const remove of removals.splice(0)) await remove().catch(() => {});
  if (!args.keep) await rm(work, { recursive: true, force: true });
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => cleanup().finally(() => process.exit(130)));
}

/** Runs a command, resolving with its wall-clock time in ms. */
function timeCommand(command, commandArgs) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, commandArgs, { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve(performance.now() - started);
      else reject(new Error(`${command} ${commandArgs.join(' ')} exited with ${code}`));
    });
  });
}

try {
  await ensureBuilt();
  const report = [];
  // The figures depend on what else runs: say so next to them.
  const machine = () =>
    `machine: ${availableParallelism()} cores, load average ${loadavg()
      .map((n) => n.toFixed(1))
      .join(' / ')} (1 / 5 / 15 min)`;
  console.log(machine());
  report.push(() => console.log(`${machine()}\n`));

  if (args.split) {
    const splitRows = Number(args['split-rows']);
    const splitBytes = args['split-bytes'] === undefined ? undefined : Number(args['split-bytes']);
    const input = await findBenchFile(splitRows);
    const inputSize = (await stat(input)).size;
    console.log(
      `input: ${input} (${splitRows.toLocaleString('en-US')} rows, ${(inputSize / 1e6).toFixed(1)} MB)`,
    );
    const cliOut = join(work, 'cli-split.csv');
    const systems = [];
    for (const workers of [1, 2]) {
      const system = await startSplitSystem({
        work,
        amqpUrl: args['amqp-url'],
        workers,
        splitBytes,
        removals,
      });
      running.push(system);
      systems.push({ workers, system, best: null });
    }
    let cli = null;
    // What two cores give the engine itself here: the ceiling of a second worker's speed-up.
    let cliTwo = null;
    for (let round = 0; round < repeat; round += 1) {
      const cliArgs = [CLI, 'aggregate', input, '-o', cliOut, '--threads', '1'];
      const ms = await timeCommand(process.execPath, cliArgs);
      if (!cli || ms < cli.ms) cli = { ms };
      const twoArgs = [CLI, 'aggregate', input, '-o', `${cliOut}.2t`, '--threads', '2'];
      const twoMs = await timeCommand(process.execPath, twoArgs);
      if (!cliTwo || twoMs < cliTwo.ms) cliTwo = { ms: twoMs };
      const line = [
        `round ${round + 1}: CLI (1 thread) ${formatMs(ms)}, CLI (2 threads) ${formatMs(twoMs)}`,
      ];
      for (const entry of systems) {
        const run = await runJob(
          entry.system.baseUrl,
          input,
          join(work, `split-${entry.workers}.csv`),
        );
        if (!entry.best || run.ms < entry.best.ms) entry.best = run;
        line.push(`${entry.workers} worker(s) ${formatMs(run.ms)}`);
      }
      console.log(line.join(', '));
    }
    for (const { system } of systems) {
      running.splice(running.indexOf(system), 1);
      await system.stop();
    }
    const expected = await fileDigest(cliOut);
    const one = systems[0].best;
    const sameTwo = (await fileDigest(`${cliOut}.2t`)).sha256 === expected.sha256;
    if (!sameTwo) process.exitCode = 1;
    const rowsOut = [
      ['CLI `playtally aggregate --threads 1`', formatMs(cli.ms), '', '1.00', '', 'reference'],
      [
        'CLI `--threads 2` (what 2 cores give the engine)',
        formatMs(cliTwo.ms),
        (cli.ms / cliTwo.ms).toFixed(2),
        (cliTwo.ms / cli.ms).toFixed(2),
        'ceiling of a second worker on this machine',
        sameTwo ? 'identical' : 'DIFFERENT',
      ],
    ];
    for (const { workers, best } of systems) {
      const same = best.digest.sha256 === expected.sha256 && best.digest.size === expected.size;
      if (!same) process.exitCode = 1;
      rowsOut.push([
        `service, ${workers} worker process${workers > 1 ? 'es' : ''} (concurrency 1)`,
        formatMs(best.ms),
        (one.ms / best.ms).toFixed(2),
        (best.ms / cli.ms).toFixed(2),
        `upload ${formatMs(best.uploadMs)}, job ${formatMs(best.jobMs)}, download ${formatMs(best.downloadMs)}`,
        same ? 'identical' : 'DIFFERENT',
      ]);
    }
    report.push(() =>
      printTable(
        `split jobs, RabbitMQ + PostgreSQL, upload → result, ${(inputSize / 1e6).toFixed(0)} MB, SPLIT_BYTES ${splitBytes ?? '128 MiB (default)'}, best of ${repeat} interleaved rounds`,
        ['path', 'time', 'speed-up (target ≥ 1.6)', '× CLI (target ≤ 1.0)', 'breakdown', 'output'],
        rowsOut,
      ),
    );
  }

  if (!args['skip-jobs'] && !args.split) {
    const input = await findBenchFile(rows);
    const inputSize = (await stat(input)).size;
    console.log(
      `input: ${input} (${rows.toLocaleString('en-US')} rows, ${(inputSize / 1e6).toFixed(1)} MB)`,
    );

    const variants = [
      { name: 'service, embedded (memory://, SQLite, 1 process)', mode: 'all', tag: 'all' },
    ];
    if (!args['skip-amqp']) {
      if (await tcpOpen('127.0.0.1', 5672)) {
        variants.push({
          name: 'service, RabbitMQ (api + worker processes)',
          mode: 'split',
          tag: 'split',
          transportUrl: args['amqp-url'],
        });
      } else {
        console.log('RabbitMQ not reachable on 127.0.0.1:5672: skipping the broker run');
      }
    }
    // The same path again with the blobs in a bucket instead of a directory.
    const filesystemPath = variants.length - 1;
    if (!args['skip-s3']) {
      const endpoint = new URL(args['s3-endpoint']);
      if (await tcpOpen(endpoint.hostname, Number(endpoint.port || 80))) {
        const bucket = benchBucket(args['s3-endpoint']);
        removals.push(() => bucket.remove());
        const base = variants[filesystemPath];
        variants.push({
          ...base,
          name: `${base.name.replace(/ \(/, ' + S3 (')}, S3Proxy on loopback`,
          tag: `${base.tag}+s3`,
          env: bucket.env,
        });
      } else {
        console.log(
          `no S3 server at ${args['s3-endpoint']} (bash scripts/s3/start.sh): skipping the S3 run`,
        );
      }
    }
    const s3Path = variants.length - 1 > filesystemPath ? variants.length - 1 : undefined;
    const systems = [];
    for (const variant of variants) {
      const system = await startSystem({ work, ...variant });
      running.push(system);
      systems.push(system);
    }

    // Rounds interleave the CLI and each system, so that all of them meet the same background
    // load (this machine's 2 cores are shared); the best round of each is kept.
    const cliOut = join(work, 'cli.csv');
    let cli = null;
    const bestRuns = variants.map(() => null);
    for (let round = 0; round < repeat; round += 1) {
      const ms = await timeCommand(process.execPath, [CLI, 'aggregate', input, '-o', cliOut]);
      if (!cli || ms < cli.ms) cli = { ms };
      const line = [`round ${round + 1}: CLI ${formatMs(ms)}`];
      for (const [v, system] of systems.entries()) {
        const run = await runJob(system.baseUrl, input, join(work, `${variants[v].tag}.csv`));
        if (!bestRuns[v] || run.ms < bestRuns[v].ms) bestRuns[v] = run;
        line.push(`${variants[v].tag} ${formatMs(run.ms)}`);
      }
      console.log(line.join(', '));
    }
    // Peak RSS over every round: the most each process held while it took the file.
    const peaks = [];
    for (const [v, system] of systems.entries()) {
      for (const process of system.processes) {
        peaks.push({
          variant: variants[v],
          label: process.label,
          bytes: await process.peakRssBytes(),
        });
      }
    }
    for (const system of systems) {
      running.splice(running.indexOf(system), 1);
      await system.stop();
    }

    const expected = await fileDigest(cliOut);
    const jobRows = [['CLI `playtally aggregate`', formatMs(cli.ms), '1.00', '', 'reference']];
    for (const [v, run] of bestRuns.entries()) {
      const same = run.digest.sha256 === expected.sha256 && run.digest.size === expected.size;
      if (!same) process.exitCode = 1;
      jobRows.push([
        variants[v].name,
        formatMs(run.ms),
        (run.ms / cli.ms).toFixed(2),
        `upload ${formatMs(run.uploadMs)}, job ${formatMs(run.jobMs)} (engine ${formatMs(run.engineMs)}), download ${formatMs(run.downloadMs)}`,
        same ? 'identical' : 'DIFFERENT',
      ]);
    }
    report.push(() =>
      printTable(
        `upload → result, ${rows.toLocaleString('en-US')} rows (${(inputSize / 1e6).toFixed(1)} MB), best of ${repeat} interleaved rounds`,
        ['path', 'time', '× CLI', 'breakdown', 'output'],
        jobRows,
      ),
    );
    if (s3Path !== undefined) {
      const fs = bestRuns[filesystemPath];
      const s3 = bestRuns[s3Path];
      report.push(() =>
        printTable(
          'blob storage: S3 (S3Proxy, filesystem backend, loopback) against the filesystem store, same rounds',
          ['storage', 'upload → result', 'upload', 'job', 'download', 'ratio (target ≤ 1.30)'],
          [
            [
              'filesystem (STORAGE_DIR)',
              formatMs(fs.ms),
              formatMs(fs.uploadMs),
              formatMs(fs.jobMs),
              formatMs(fs.downloadMs),
              '1.00',
            ],
            [
              'S3 (STORAGE_URL=s3://…)',
              formatMs(s3.ms),
              formatMs(s3.uploadMs),
              formatMs(s3.jobMs),
              formatMs(s3.downloadMs),
              (s3.ms / fs.ms).toFixed(2),
            ],
          ],
        ),
      );
    }
    report.push(() =>
      printTable(
        'peak RSS of each server process over its rounds (VmHWM; target ≤ 200 MB for the API and the worker)',
        ['path', 'process', 'peak RSS'],
        peaks.map(({ variant, label, bytes }) => [
          variant.tag,
          label.replace(`${variant.name} `, ''),
          Number.isNaN(bytes) ? 'n/a' : `${(bytes / 1e6).toFixed(0)} MB`,
        ]),
      ),
    );
  }

  if (!args['skip-messages'] && !args.split) {
    const system = await startSystem({ work, mode: 'all', name: 'messages' });
    running.push(system);
    const reference = await startReference(join(work, 'reference.db'));
    running.push(reference);
    const [server] = system.processes;
    try {
      const idle = await measureDelivery(system.baseUrl, { count: 500, ratePerSecond: 100 });
      const rssBefore = await rssBytes(server.child.pid);
      // One after the other, each with the machine to itself: the reference route, the same
      // server's /healthz, then the message path (with a delivery probe alongside). Rounds
      // interleave them, so that all meet the same background load; the best round is kept.
      const best = (a, b) => (a === undefined || b.requestsPerSecond > a.requestsPerSecond ? b : a);
      let ref;
      let health;
      let load;
      let underLoad;
      let answered = 0;
      for (let round = 0; round < repeat; round += 1) {
        ref = best(
          ref,
          await runAutocannon(`${reference.baseUrl}/v1/messages`, { duration, connections }),
        );
        health = best(
          health,
          await runAutocannon(`${system.baseUrl}/healthz`, {
            duration,
            connections,
            method: 'GET',
          }),
        );
        const [run, probe] = await Promise.all([
          runAutocannon(`${system.baseUrl}/v1/messages`, { duration, connections }),
          measureDelivery(system.baseUrl, {
            count: Math.max(20, Math.floor((duration - 2) * 20)),
            ratePerSecond: 20,
            startDelayMs: 1000,
          }),
        ]);
        answered += run.ok;
        if (best(load, run) === run) {
          load = run;
          underLoad = probe;
        }
        console.log(
          `round ${round + 1}: reference ${ref.requestsPerSecond.toFixed(0)}/s, /healthz ${health.requestsPerSecond.toFixed(0)}/s, messages ${run.requestsPerSecond.toFixed(0)}/s (best so far)`,
        );
      }
      const rssAfter = await rssBytes(server.child.pid);
      // Fan-out: many WebSocket clients, messages at half the rate just measured.
      const fanOut =
        wsClients > 0
          ? await measureFanOut(system.baseUrl, {
              clients: wsClients,
              ratePerSecond: Math.max(1, Math.round(load.requestsPerSecond / 2)),
              seconds: Math.min(duration, 10),
            })
          : undefined;
      // Every accepted message must be stored and consumed: wait for the consumer, then count.
      const counts = await waitConsumed(system.databaseFile);
      const rssDrained = await rssBytes(server.child.pid);
      // Requests still in flight when autocannon stops are stored but not counted as answered.
      const countsOk = counts.stored >= answered && counts.consumed === counts.stored;
      if (!countsOk) process.exitCode = 1;
      const mb = (bytes) => (Number.isNaN(bytes) ? 'n/a' : `${(bytes / 1e6).toFixed(0)} MB`);
      report.push(() => {
        printTable(
          `POST /v1/messages against the reference and /healthz, autocannon ${connections} connections × ${duration} s each (127.0.0.1), best of ${repeat} interleaved rounds`,
          ['route', 'requests/s', 'p50', 'p99', 'requests', '2xx', '503', 'other errors', 'ratio'],
          [
            ['reference: bare Hono + one SQLite insert', ref, ref],
            ['GET /healthz (playtally server)', health, health],
            ['POST /v1/messages (playtally, embedded)', load, null],
          ].map(([name, run, base]) => [
            name,
            run.requestsPerSecond.toFixed(0),
            `${run.p50} ms`,
            `${run.p99} ms`,
            String(run.total),
            String(run.ok),
            String(run.rejected),
            String(run.errors - run.rejected),
            base
              ? '1.00'
              : `${(run.requestsPerSecond / ref.requestsPerSecond).toFixed(2)}× reference (≥ 0.5), ${(run.requestsPerSecond / health.requestsPerSecond).toFixed(2)}× /healthz (≥ 0.2)`,
          ]),
        );
        printTable(
          'messages of the load (every round) in the database once the consumer caught up (stored ≥ 202 answered: autocannon stops counting before its last requests return)',
          ['202 answered', 'stored', 'consumed', 'check'],
          [
            [
              String(answered),
              String(counts.stored),
              String(counts.consumed),
              countsOk ? 'ok' : 'MISMATCH',
            ],
          ],
        );
        if (fanOut) {
          printTable(
            `WebSocket fan-out: ${fanOut.clients} clients on /v1/events, ${fanOut.sent} messages posted at ${fanOut.ratePerSecond}/s (half the rate above)`,
            [
              'accepted',
              '503',
              'failed',
              'clients with every event',
              'fewest events',
              'expected',
              'disconnected',
              'publish → message.received p50',
              'p99',
            ],
            [
              [
                String(fanOut.accepted),
                String(fanOut.refused),
                String(fanOut.failed),
                `${fanOut.complete} / ${fanOut.clients}`,
                String(fanOut.minFrames),
                String(fanOut.expected),
                String(fanOut.closed),
                `${fanOut.p50.toFixed(1)} ms`,
                `${fanOut.p99.toFixed(1)} ms (${fanOut.samples} samples on 3 clients)`,
              ],
            ],
          );
        }
        printTable(
          'RSS of the server process (VmRSS)',
          ['before the load', 'right after it', 'once consumed'],
          [[mb(rssBefore), mb(rssAfter), mb(rssDrained)]],
        );
        printTable(
          'publish (POST /v1/messages) → WebSocket delivery of message.received',
          ['condition', 'sent', 'delivered', 'p50', 'p99', 'max'],
          [idle, underLoad].map((d, i) => [
            i === 0 ? 'at rest, 100 msg/s' : 'under the autocannon load, 20 msg/s',
            String(d.sent),
            String(d.delivered),
            `${d.p50.toFixed(1)} ms`,
            `${d.p99.toFixed(1)} ms`,
            `${d.max.toFixed(1)} ms`,
          ]),
        );
      });
    } finally {
      for (const process of [reference, system]) {
        running.splice(running.indexOf(process), 1);
        await process.stop();
      }
    }
    if (!args['skip-amqp'] && (await tcpOpen('127.0.0.1', 5672))) {
      const amqpUrl = args['amqp-url'];
      const { load, counts } = await measureBrokerMessages({
        work,
        amqpUrl,
        duration,
        connections,
        running,
        removals,
      });
      const countsOk = counts.stored >= load.ok && counts.consumed === counts.stored;
      if (!countsOk) process.exitCode = 1;
      report.push(() =>
        printTable(
          `POST /v1/messages on RabbitMQ + PostgreSQL (API and worker processes), autocannon ${connections} connections × ${duration} s; target ≥ 3,000/s, p99 ≤ 80 ms`,
          ['requests/s', 'p50', 'p99', '2xx', '503', 'other errors', 'stored', 'consumed', 'check'],
          [
            [
              load.requestsPerSecond.toFixed(0),
              `${load.p50} ms`,
              `${load.p99} ms`,
              String(load.ok),
              String(load.rejected),
              String(load.errors - load.rejected),
              String(counts.stored),
              String(counts.consumed),
              countsOk ? 'ok' : 'MISMATCH',
            ],
          ],
        ),
      );
    }
  }

  console.log('');
  for (const print of report) print();
} catch (error) {
  console.error(`bench:service failed: ${error instanceof Error ? error.stack : error}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
