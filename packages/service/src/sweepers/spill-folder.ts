import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const PREFIX = 'playtally-worker-';

/**
 * Creates a spill folder for one worker of this process under `tempDir`
 * (`playtally-worker-<host>-<pid>-<random>`) and returns its path. The engine makes its run
 * folders inside it, so whatever a killed worker spilled can be traced to a process that no
 * longer exists, and swept.
 */
export async function createSpillFolder(tempDir: string = tmpdir()): Promise<string> {
  const name = `${PREFIX}${safeHost()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const folder = join(resolve(tempDir), name);
  await mkdir(folder, { recursive: true });
  return folder;
}

/**
 * Removes the spill folders under `tempDir` of processes of this host that are gone (a worker
 * killed mid-spill leaves up to the size of its input behind). Folders of live processes and of
 * other hosts are kept. Resolves with the number of folders removed.
 *
 * @example
 * ```ts
 * import { sweepSpillFolders } from '@playtally/service';
 * await sweepSpillFolders(process.env.TEMP_DIR);
 * ```
 */
export async function sweepSpillFolders(tempDir: string = tmpdir()): Promise<number> {
  const root = resolve(tempDir);
  const own = `${PREFIX}${safeHost()}-`;
  let removed = 0;
  for (const name of await readdir(root).catch(() => [] as string[])) {
    if (!name.startsWith(own)) continue;
    const pid = Number(name.slice(own.length).split('-')[0]);
    if (!Number.isInteger(pid) || pid <= 0 || isAlive(pid)) continue;
    await rm(join(root, name), { recursive: true, force: true });
    removed += 1;
  }
  return removed;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function safeHost(): string {
  return hostname()
    .replace(/[^A-Za-z0-9.-]/g, '_')
    .slice(0, 64);
}
