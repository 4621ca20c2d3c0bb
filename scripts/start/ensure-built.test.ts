import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireBuildLock } from './build-lock.mjs';
import { ensureBuilt } from './ensure-built.mjs';

interface FakePackage {
  name: string;
  dir: string;
  output: string;
}

let root: string;
let clock: number;

/** Writes `file` with a modification time later than everything written before. */
async function touch(file: string, text = ''): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text);
  clock += 10;
  await utimes(file, clock, clock);
}

/** A package using `dependsOn` at run time, and bundling `bundles` into its output. */
async function addPackage(
  folder: string,
  name: string,
  dependsOn: string[] = [],
  bundles: string[] = [],
) {
  const dir = join(root, folder);
  const ranges = (names: string[]) => Object.fromEntries(names.map((dep) => [dep, 'workspace:^']));
  await touch(
    join(dir, 'package.json'),
    JSON.stringify({
      name,
      main: './dist/index.js',
      peerDependencies: ranges(dependsOn),
      devDependencies: ranges([...dependsOn, ...bundles]),
    }),
  );
  await touch(join(dir, 'src/index.ts'), 'export {};');
}

/** A build that only writes the output file, recording what it built. */
function fakeBuild(built: string[]) {
  return async (pkg: FakePackage) => {
    built.push(pkg.name);
    await touch(pkg.output);
  };
}

const quiet = () => {};

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'playtally-ensure-built-'));
  clock = Math.floor(Date.now() / 1000) - 100_000;
  await addPackage('packages/core', '@x/core');
  await addPackage('packages/transport', '@x/transport', ['@x/core']);
  await addPackage('packages/http', '@x/http', ['@x/core'], ['@x/transport']);
  await addPackage('examples/server', '@x/server', ['@x/http']);
  await addPackage('packages/unused', '@x/unused');
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('ensureBuilt', () => {
  it('builds what the target needs, dependencies first, and nothing else', async () => {
    const built: string[] = [];
    await ensureBuilt({ root, target: '@x/server', log: quiet, build: fakeBuild(built) });
    expect(built).toEqual(['@x/core', '@x/transport', '@x/http', '@x/server']);
  });

  it('builds nothing the second time, and says so', async () => {
    await ensureBuilt({ root, target: '@x/server', log: quiet, build: fakeBuild([]) });
    const built: string[] = [];
    const lines: string[] = [];
    await ensureBuilt({
      root,
      target: '@x/server',
      log: (line) => lines.push(line),
      build: fakeBuild(built),
    });
    expect(built).toEqual([]);
    expect(lines).toEqual(['4 packages up to date, nothing to build']);
  });

  it('rebuilds a package whose source changed, and the packages that bundle it', async () => {
    await ensureBuilt({ root, target: '@x/server', log: quiet, build: fakeBuild([]) });
    await touch(join(root, 'packages/transport/src/index.ts'), 'export const changed = 1;');
    const built: string[] = [];
    const lines: string[] = [];
    await ensureBuilt({
      root,
      target: '@x/server',
      log: (line) => lines.push(line),
      build: fakeBuild(built),
    });
    // http bundles transport; the server imports http at run time.
    expect(built).toEqual(['@x/transport', '@x/http']);
    expect(lines[0]).toMatch(/^built @x\/transport \(src\/index\.ts changed\) in [\d.]+ s$/);
    expect(lines[1]).toMatch(/^built @x\/http \(@x\/transport was rebuilt\)/);
  });

  it('leaves alone the packages that import a rebuilt one at run time', async () => {
    await ensureBuilt({ root, target: '@x/server', log: quiet, build: fakeBuild([]) });
    await touch(join(root, 'packages/core/src/index.ts'), 'export const changed = 1;');
    const built: string[] = [];
    await ensureBuilt({ root, target: '@x/server', log: quiet, build: fakeBuild(built) });
    expect(built).toEqual(['@x/core']);
  });

  it('does not rebuild for a changed test file', async () => {
    await ensureBuilt({ root, target: '@x/server', log: quiet, build: fakeBuild([]) });
    await touch(join(root, 'packages/core/src/index.test.ts'), 'test');
    const built: string[] = [];
    await ensureBuilt({ root, target: '@x/server', log: quiet, build: fakeBuild(built) });
    expect(built).toEqual([]);
  });

  it('lets one of several concurrent starts build, never two at once', async () => {
    let building = 0;
    let overlapped = false;
    const built: string[] = [];
    const build = async (pkg: FakePackage) => {
      building += 1;
      if (building > 1) overlapped = true;
      await new Promise((resolve) => setTimeout(resolve, 30));
      await fakeBuild(built)(pkg);
      building -= 1;
    };
    await Promise.all(
      Array.from({ length: 3 }, () =>
        ensureBuilt({ root, target: '@x/server', log: quiet, build }),
      ),
    );
    expect(overlapped).toBe(false);
    expect(built).toEqual(['@x/core', '@x/transport', '@x/http', '@x/server']);
  });

  it('names a workspace dependency that does not exist', async () => {
    await addPackage('packages/broken', '@x/broken', ['@x/missing']);
    await expect(
      ensureBuilt({ root, target: '@x/broken', log: quiet, build: fakeBuild([]) }),
    ).rejects.toThrow('@x/broken depends on @x/missing, which is not in the workspace');
  });
});

describe('the build lock', () => {
  it('is taken over when the process that held it has died', async () => {
    const lock = join(root, 'build.lock');
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => dead.once('exit', resolve));
    await mkdir(lock);
    await writeFile(join(lock, 'owner'), String(dead.pid));
    const release = await acquireBuildLock(lock);
    await release();
  });

  it('makes a second taker wait, telling who holds it, until it is released', async () => {
    const lock = join(root, 'build.lock');
    const release = await acquireBuildLock(lock);
    const waitedFor: number[] = [];
    let second = false;
    const taking = acquireBuildLock(lock, {
      pollMs: 10,
      onWait: (pid) => waitedFor.push(pid),
    }).then((releaseSecond) => {
      second = true;
      return releaseSecond;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(second).toBe(false);
    expect(waitedFor).toEqual([process.pid]);
    await release();
    await (await taking)();
    expect(second).toBe(true);
  });
});
