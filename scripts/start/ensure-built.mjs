// Builds what a program needs before it starts: only the packages whose output is missing or
// older than their sources, JavaScript only (declaration files are for publishing, and
// `pnpm build` writes them), one process at a time.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { acquireBuildLock } from './build-lock.mjs';
import { staleReason } from './freshness.mjs';
import { buildOrder, readWorkspace } from './workspace-graph.mjs';

const TSUP_BUILD = fileURLToPath(new URL('./tsup-build.mjs', import.meta.url));

/**
 * @typedef {object} EnsureBuiltOptions
 * @property {string} root       the workspace root
 * @property {string} target     the package to run, e.g. `@playtally/example-server`
 * @property {(line: string) => void} log   where progress lines go
 * @property {(pkg: import('./workspace-graph.mjs').WorkspacePackage) => Promise<void>} [build]
 *   builds one package; defaults to tsup with its own config, without declarations
 */

/**
 * Brings `target` and the workspace packages it uses up to date; resolves with the names of
 * the packages it built (none when everything was fresh).
 * @param {EnsureBuiltOptions} options
 * @returns {Promise<string[]>}
 */
export async function ensureBuilt({ root, target, log, build = buildWithTsup }) {
  const packages = await readWorkspace(root);
  const order = buildOrder(packages, target);
  if (!(await anyStale(order, packages))) {
    log(`${order.length} packages up to date, nothing to build`);
    return [];
  }
  const release = await acquireBuildLock(join(root, 'node_modules/.cache/playtally/build.lock'), {
    onWait: (pid) => log(`waiting for process ${pid}, which is building the packages`),
  });
  /** @type {string[]} */
  const built = [];
  try {
    // Checked again under the lock: a start that held it may have built everything meanwhile.
    for (const pkg of order) {
      const reason = await staleReason(pkg, packages);
      if (reason === undefined) continue;
      const startedAt = performance.now();
      await build(pkg);
      log(
        `built ${pkg.name} (${reason}) in ${((performance.now() - startedAt) / 1000).toFixed(1)} s`,
      );
      built.push(pkg.name);
    }
  } finally {
    await release();
  }
  if (built.length === 0) log(`${order.length} packages up to date (another process built them)`);
  return built;
}

/**
 * @param {import('./workspace-graph.mjs').WorkspacePackage[]} order
 * @param {Map<string, import('./workspace-graph.mjs').WorkspacePackage>} packages
 */
async function anyStale(order, packages) {
  for (const pkg of order) if ((await staleReason(pkg, packages)) !== undefined) return true;
  return false;
}

/**
 * tsup with the package's own `tsup.config.ts`, minus declarations, in a child process started
 * in the package's folder (tsup and esbuild resolve everything from the working directory of
 * the process). `clean` is off so the declaration files of a full `pnpm build` stay for the type
 * checker.
 * @param {import('./workspace-graph.mjs').WorkspacePackage} pkg
 */
function buildWithTsup(pkg) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TSUP_BUILD], {
      cwd: pkg.dir,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve(undefined);
      else reject(new Error(`tsup failed for ${pkg.name} (${signal ?? `exit code ${code}`})`));
    });
  });
}
