// One build at a time: several starts at once (an API and workers) must not write the same
// dist/ folders together.
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * Takes the lock folder `path` (created atomically), waiting while another living process
 * holds it; a lock left by a process that died is taken over. Resolves with its release.
 * @param {string} path
 * @param {{ onWait?: (ownerPid: number) => void, pollMs?: number }} [options]
 * @returns {Promise<() => Promise<void>>}
 */
export async function acquireBuildLock(path, options = {}) {
  await mkdir(dirname(path), { recursive: true });
  let told = false;
  for (;;) {
    try {
      await mkdir(path);
      await writeFile(join(path, 'owner'), String(process.pid));
      return () => rm(path, { recursive: true, force: true });
    } catch (error) {
      if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'EEXIST') throw error;
    }
    const owner = Number(await readFile(join(path, 'owner'), 'utf8').catch(() => ''));
    // A dead owner, or none written long after the folder appeared (its creator died at once).
    const age = Date.now() - ((await stat(path).catch(() => undefined))?.mtimeMs ?? Date.now());
    if ((owner > 0 && !isAlive(owner)) || (!(owner > 0) && age > 10_000)) {
      await rm(path, { recursive: true, force: true });
      continue;
    }
    if (!told && owner > 0) {
      options.onWait?.(owner);
      told = true;
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 100));
  }
}

/** @param {number} pid */
function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return /** @type {NodeJS.ErrnoException} */ (error).code === 'EPERM';
  }
}
