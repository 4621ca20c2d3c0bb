#!/usr/bin/env node
// `pnpm bench:service` (after `pnpm build`): measures the running system end to end.
//
//  (a) upload → result of a large low-cardinality CSV through the service (embedded default in
//      one process; RabbitMQ with separate API and worker processes when a broker answers on
//      127.0.0.1:5672) against the CLI alone on the same file; prints the ratio and checks that
//      the outputs are byte-identical. When an S3 server answers (S3Proxy from scripts/s3/start.sh)
//      the broker path runs a second time with STORAGE_URL=s3://… in the same rounds: both times,
//      their ratio, and the peak RSS of every server process.
//  (b) POST /v1/messages under load (autocannon, loopback only) and publish → WebSocket delivery
//      latency of message.received, at rest and under that load.
//
// Options: --rows N (default 10000000), --duration S (load seconds, default 20),
//          --connections N (default 32), --repeat N (runs per path, best kept; default 2),
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
import { ensureBuilt, findBenchFile, ROOT } from './bench-service/inputs.mjs';
import { fileDigest, runJob } from './bench-service/jobs.mjs';
import { measureDelivery, runAutocannon } from './bench-service/messages.mjs';
import { benchBucket } from './bench-service/s3.mjs';
import { startSplitSystem } from './bench-service/split-scaling.mjs';
import { startSystem, tcpOpen } from './bench-service/system.mjs';
import { formatMs, printTable } from './bench-service/table.mjs';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000000' },
    duration: { type: 'string', default: '20' },
    connections: { type: 'string', default: '32' },
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
    for (let round = 0; round < repeat; round += 1) {
      const cliArgs = [CLI, 'aggregate', input, '-o', cliOut, '--threads', '1'];
      const ms = await timeCommand(process.execPath, cliArgs);
      if (!cli || ms < cli.ms) cli = { ms };
      const line = [`round ${round + 1}: CLI (1 thread) ${formatMs(ms)}`];
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
    const rowsOut = [
      ['CLI `playtally aggregate --threads 1`', formatMs(cli.ms), '', '1.00', '', 'reference'],
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
    try {
      const idle = await measureDelivery(system.baseUrl, { count: 500, ratePerSecond: 100 });
      const [load, underLoad] = await Promise.all([
        runAutocannon(system.baseUrl, { duration, connections }),
        measureDelivery(system.baseUrl, {
          count: Math.max(20, Math.floor((duration - 2) * 20)),
          ratePerSecond: 20,
          startDelayMs: 1000,
        }),
      ]);
      report.push(() => {
        printTable(
          `POST /v1/messages, autocannon ${connections} connections × ${duration} s (127.0.0.1)`,
          ['requests/s', 'p50', 'p99', 'requests', '2xx', 'errors'],
          [
            [
              load.requestsPerSecond.toFixed(0),
              `${load.p50} ms`,
              `${load.p99} ms`,
              String(load.total),
              String(load.ok),
              String(load.errors),
            ],
          ],
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
      running.splice(running.indexOf(system), 1);
      await system.stop();
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
