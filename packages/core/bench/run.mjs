// `pnpm bench`: the engine, on one thread and on several, against DuckDB and the naive
// csv-parse + Map baseline.
//
//   pnpm bench                      low and high cardinality, 10M rows each
//   pnpm bench -- --large           the 50M-row high-cardinality file: engine (default budget, one
//                                   thread and several) vs DuckDB; peak RSS must stay at or under 400 MB
//   options: --repeat N (runs per contender, best reported; default 3; the slow naive baseline
//            runs once), --only low|high, --no-naive, --threads N (the threaded contender's
//            threads; default 2)
//
// It builds @playtally/core first when dist/ is missing or older than the sources, and runs the
// built CLI (bin/playtally.js). Every contender runs as its own child process under
// /usr/bin/time -v, which reports its peak RSS. Data files are generated once by
// `playtally generate` and cached in <repo>/.bench-cache/ (gitignored).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const cacheDir = resolve(packageDir, '../../.bench-cache');
const cli = join(packageDir, 'bin/playtally.js');
const { values: flags } = parseArgs({
  // `pnpm bench -- --large` passes the `--` through.
  args: process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === '--')),
  options: {
    large: { type: 'boolean', default: false },
    repeat: { type: 'string', default: '3' },
    only: { type: 'string' },
    'no-naive': { type: 'boolean', default: false },
    threads: { type: 'string', default: '2' },
  },
});
const repeat = Math.max(1, Number(flags.repeat));
const threads = Math.max(2, Number(flags.threads));
const threaded = `engine-${threads}t`;

const DATASETS = [
  { name: 'low', rows: 10_000_000, songs: 1_000, days: 30 },
  { name: 'high', rows: 10_000_000, songs: 20_000, days: 730 },
];
const LARGE = { name: 'high-50M', rows: 50_000_000, songs: 20_000, days: 730 };
/** Engine on one thread ÷ DuckDB. */
const TARGETS = { low: 1.2, high: 2 };
/** Engine on several threads ÷ DuckDB. */
const THREADED_TARGETS = { low: 0.75, high: 0.8 };
const LARGE_RSS_LIMIT_MB = 400;

await ensureBuilt();
await mkdir(join(cacheDir, 'out'), { recursive: true });
console.log(
  `node ${process.version}, ${cpus().length} CPUs, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
if (flags.large) await benchLarge();
else await benchDefault();

async function benchDefault() {
  const rows = [];
  let ok = true;
  for (const dataset of DATASETS.filter((d) => !flags.only || d.name === flags.only)) {
    const input = await ensureDataset(dataset);
    const size = statSync(input).size;
    console.log(
      `\n${dataset.name} cardinality: ${fmtCount(dataset.rows)} rows, ${dataset.songs} songs × ${dataset.days} days, ${mb(size)} MB`,
    );
    const results = await runInterleaved(dataset, input, repeat, {
      engine: ['engine', engineArgs(1)],
      threaded: [threaded, engineArgs(threads)],
      duckdb: ['duckdb', duckdbArgs],
    });
    if (!flags['no-naive'])
      results.naive = await runContender('naive', dataset, input, 1, naiveArgs);
    const same = await sameOutputs(Object.values(results));
    const engineVsDuck = results.engine.seconds / results.duckdb.seconds;
    const naiveVsEngine = results.naive
      ? results.naive.seconds / results.engine.seconds
      : undefined;
    const target = TARGETS[dataset.name];
    const met =
      engineVsDuck <= target && (naiveVsEngine === undefined || naiveVsEngine >= 10) && same;
    const threadedVsDuck = results.threaded.seconds / results.duckdb.seconds;
    const speedUp = results.engine.seconds / results.threaded.seconds;
    const threadedTarget = THREADED_TARGETS[dataset.name];
    ok &&= same;
    for (const r of Object.values(results))
      rows.push([
        dataset.name,
        r.name,
        r.seconds.toFixed(2),
        (size / 1e6 / r.seconds).toFixed(0),
        r.rssMb.toFixed(0),
      ]);
    console.log(
      `  engine/duckdb time ${engineVsDuck.toFixed(2)} (target ≤ ${target})` +
        (naiveVsEngine === undefined
          ? ''
          : `, naive/engine ${naiveVsEngine.toFixed(1)} (target ≥ 10)`) +
        `, outputs ${same ? 'identical' : 'DIFFER'} → ${met ? 'met' : 'NOT met'}`,
    );
    console.log(
      `  ${threaded}/duckdb time ${threadedVsDuck.toFixed(2)} (target ≤ ${threadedTarget}) → ` +
        `${threadedVsDuck <= threadedTarget && same ? 'met' : 'NOT met'}; ` +
        `speed-up 1 → ${threads} threads ${speedUp.toFixed(2)}×`,
    );
  }
  printTable(['data', 'contender', 'best wall s', 'MB/s', 'peak RSS MB'], rows);
  if (!ok) process.exitCode = 1;
}

async function benchLarge() {
  const input = await ensureDataset(LARGE);
  const size = statSync(input).size;
  console.log(
    `\n${LARGE.name}: ${fmtCount(LARGE.rows)} rows, ${LARGE.songs} songs × ${LARGE.days} days, ${mb(size)} MB`,
  );
  const engine = await runContender('engine', LARGE, input, 1, engineArgs(1));
  const many = await runContender(threaded, LARGE, input, 1, engineArgs(threads));
  const duckdb = await runContender('duckdb', LARGE, input, 1, duckdbArgs);
  const same = await sameOutputs([engine, many, duckdb]);
  printTable(
    ['data', 'contender', 'best wall s', 'MB/s', 'peak RSS MB'],
    [engine, many, duckdb].map((r) => [
      LARGE.name,
      r.name,
      r.seconds.toFixed(2),
      (size / 1e6 / r.seconds).toFixed(0),
      r.rssMb.toFixed(0),
    ]),
  );
  const rssOk = Math.max(engine.rssMb, many.rssMb) <= LARGE_RSS_LIMIT_MB;
  console.log(
    `peak RSS: engine ${engine.rssMb.toFixed(0)} MB, ${threaded} ${many.rssMb.toFixed(0)} MB (limit ${LARGE_RSS_LIMIT_MB}) ${rssOk ? 'met' : 'NOT met'}; outputs ${same ? 'identical to' : 'DIFFERENT from'} DuckDB's; engine/duckdb time ${(engine.seconds / duckdb.seconds).toFixed(2)}, ${threaded}/duckdb ${(many.seconds / duckdb.seconds).toFixed(2)}, speed-up ${(engine.seconds / many.seconds).toFixed(2)}×`,
  );
  if (!rssOk || !same) process.exitCode = 1;
}

function engineArgs(threadCount) {
  return (input, output) => [
    process.execPath,
    cli,
    'aggregate',
    input,
    '-o',
    output,
    '--threads',
    String(threadCount),
  ];
}
function duckdbArgs(input, output) {
  return [process.execPath, join(packageDir, 'bench/duckdb-aggregate.mjs'), input, output];
}
function naiveArgs(input, output) {
  return [
    process.execPath,
    '--max-old-space-size=8192',
    join(packageDir, 'bench/naive-aggregate.mjs'),
    input,
    output,
  ];
}

/**
 * Runs a contender `times` times; reports the best wall time (on a shared, noisy machine the
 * minimum is the steadiest estimate of what the code costs) and the largest peak RSS.
 */
async function runContender(name, dataset, input, times, argsFor) {
  const output = join(cacheDir, 'out', `${dataset.name}-${name}.csv`);
  const runs = [];
  for (let i = 0; i < times; i++) {
    await rm(output, { force: true });
    runs.push(await measure(argsFor(input, output)));
  }
  const seconds = Math.min(...runs.map((r) => r.seconds));
  const rssMb = Math.max(...runs.map((r) => r.rssMb));
  console.log(
    `  ${name.padEnd(9)} ${runs.map((r) => `${r.seconds.toFixed(2)} s`).join(', ')}; peak RSS ${rssMb.toFixed(0)} MB`,
  );
  return { name, seconds, rssMb, output };
}

/**
 * Runs several contenders in rounds, one run of each per round, so that a change of load on a
 * shared machine affects them alike; reports each one's best wall time and largest peak RSS.
 */
async function runInterleaved(dataset, input, times, contenders) {
  const runs = Object.fromEntries(Object.keys(contenders).map((key) => [key, []]));
  const outputOf = (name) => join(cacheDir, 'out', `${dataset.name}-${name}.csv`);
  for (let i = 0; i < times; i++) {
    for (const [key, [name, argsFor]] of Object.entries(contenders)) {
      await rm(outputOf(name), { force: true });
      runs[key].push(await measure(argsFor(input, outputOf(name))));
    }
  }
  const results = {};
  for (const [key, [name]] of Object.entries(contenders)) {
    const seconds = Math.min(...runs[key].map((r) => r.seconds));
    const rssMb = Math.max(...runs[key].map((r) => r.rssMb));
    console.log(
      `  ${name.padEnd(9)} ${runs[key].map((r) => `${r.seconds.toFixed(2)} s`).join(', ')}; peak RSS ${rssMb.toFixed(0)} MB`,
    );
    results[key] = { name, seconds, rssMb, output: outputOf(name) };
  }
  return results;
}

/** Wall time measured here; peak RSS from GNU time. */
function measure([command, ...args]) {
  const timed = existsSync('/usr/bin/time');
  const started = performance.now();
  const child = timed ? spawn('/usr/bin/time', ['-v', command, ...args]) : spawn(command, args);
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  child.stdout.resume();
  return new Promise((done, fail) => {
    child.on('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      if (code !== 0)
        return fail(new Error(`${command} ${args.join(' ')} exited ${code}\n${stderr}`));
      const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
      done({ seconds, rssMb: kb ? Number(kb[1]) / 1024 : Number.NaN });
    });
  });
}

async function sameOutputs(results) {
  const hashes = await Promise.all(results.map((r) => hashFile(r.output)));
  return hashes.every((h) => h === hashes[0]);
}

function hashFile(path) {
  return new Promise((done, fail) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => done(hash.digest('hex')))
      .on('error', fail);
  });
}

async function ensureDataset({ name, rows, songs, days }) {
  const path = join(cacheDir, `plays-${name}-${rows}r-${songs}s-${days}d.csv`);
  if (existsSync(path)) return path;
  console.log(`generating ${path} …`);
  const partial = `${path}.partial`;
  const started = performance.now();
  const { status } = spawnSync(
    process.execPath,
    [
      cli,
      'generate',
      '--rows',
      String(rows),
      '--songs',
      String(songs),
      '--days',
      String(days),
      '--seed',
      '1',
      '-o',
      partial,
    ],
    { stdio: 'inherit' },
  );
  if (status !== 0) throw new Error(`playtally generate exited ${status}`);
  await rename(partial, path);
  console.log(`  generated in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return path;
}

/** Builds the package when dist/ is missing or older than a source file of the engine or CLI. */
async function ensureBuilt() {
  const built = join(packageDir, 'dist/cli/main.js');
  const builtAt = existsSync(built) ? statSync(built).mtimeMs : 0;
  let newest = 0;
  for (const dir of ['src/engine', 'src/cli']) {
    for (const file of await readdir(join(packageDir, dir)))
      newest = Math.max(newest, (await stat(join(packageDir, dir, file))).mtimeMs);
  }
  if (builtAt >= newest) return;
  console.log('building @playtally/core (dist/ is missing or stale) …');
  const { status } = spawnSync('pnpm', ['run', 'build'], { cwd: packageDir, stdio: 'inherit' });
  if (status !== 0) throw new Error('build failed');
}

function printTable(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) =>
    `| ${cells.map((c, i) => (i < 2 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join(' | ')} |`;
  console.log(
    `\n${line(header)}\n|${widths.map((w, i) => (i < 2 ? `-${'-'.repeat(w)}-` : `-${'-'.repeat(w)}:`)).join('|')}|`,
  );
  for (const row of rows) console.log(line(row));
}

function mb(bytes) {
  return (bytes / 1e6).toFixed(0);
}
function fmtCount(n) {
  return n >= 1e6 ? `${n / 1e6}M` : String(n);
}
