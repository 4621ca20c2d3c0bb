#!/usr/bin/env node
// Summarizes a V8 .cpuprofile (from `node --cpu-prof`): the functions with the most self time,
// and self time per package, so a profile's top entries can be pasted into a note.
//   node scripts/bench-service/profile-top.mjs <file.cpuprofile> [--top N]

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' } },
});
if (positionals.length !== 1) {
  console.error('usage: profile-top.mjs <file.cpuprofile> [--top N]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(positionals[0], 'utf8'));
const top = Number(values.top);

// Self time per node: the samples that landed on it, weighted by their time deltas.
const selfUs = new Map();
for (const [i, id] of profile.samples.entries()) {
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

/** Where a function lives: a workspace package, a dependency, or node itself. */
function owner(url) {
  if (!url) return '(native/vm)';
  if (url.startsWith('node:')) return 'node:internal';
  const dep = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dep) return dep[1];
  const pkg = /\/(packages|examples)\/([^/]+)\//.exec(url);
  if (pkg) return `playtally/${pkg[2]}`;
  return url;
}

const byFunction = new Map();
const byOwner = new Map();
for (const node of profile.nodes) {
  const us = selfUs.get(node.id) ?? 0;
  if (us === 0) continue;
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url ? url.replace(/^.*\/(node_modules|packages|examples)\//, '') : '';
  const key = `${functionName || '(anonymous)'}  ${file}${url ? `:${lineNumber + 1}` : ''}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  const who = owner(url);
  byOwner.set(who, (byOwner.get(who) ?? 0) + us);
}

const pct = (us) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
console.log(`total sampled: ${(total / 1e6).toFixed(2)} s`);
console.log(`\ntop ${top} functions by self time`);
for (const [key, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${pct(us)}  ${key}`);
}
console.log('\nself time by package');
for (const [key, us] of [...byOwner].sort((a, b) => b[1] - a[1]).slice(0, 20)) {
  console.log(`${pct(us)}  ${key}`);
}
