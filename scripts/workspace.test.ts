import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const read = (path: string) => readFile(join(root, path), 'utf8');

describe('the workspace', () => {
  it("ignores the files the README's generate and aggregate commands write at the root", async () => {
    const { stdout } = await run('git', ['check-ignore', 'plays.csv', 'totals.csv'], { cwd: root });
    expect(stdout.split('\n').filter(Boolean)).toEqual(['plays.csv', 'totals.csv']);
  });

  it('lists the dependencies allowed to run install scripts once, in pnpm-workspace.yaml', async () => {
    const manifest = JSON.parse(await read('package.json')) as { pnpm?: unknown };
    expect(manifest.pnpm).toBeUndefined();
    const workspace = parse(await read('pnpm-workspace.yaml')) as {
      onlyBuiltDependencies?: string[];
    };
    expect(workspace.onlyBuiltDependencies).toContain('better-sqlite3');
  });

  it('quotes the engine benchmark figures in one README only, with the date of the run', async () => {
    const rootReadme = await read('README.md');
    const coreReadme = await read('packages/core/README.md');
    expect(rootReadme).toMatch(
      /One run of `pnpm bench` and `pnpm bench -- --large` on \d{4}-\d\d-\d\d/,
    );
    // The root table's engine rows, e.g. "| engine | 1.58 s |", appear nowhere in the package README.
    expect(coreReadme).not.toMatch(/\bengine\s+\d+\.\d+ s\b|\|\s*engine\s*\|\s*\d/);
    expect(coreReadme).toContain('../../README.md#the-engine-pnpm-bench');
  });

  it('ships the MIT LICENSE at the root and in every package', async () => {
    const license = await read('LICENSE');
    expect(license).toMatch(/^MIT License\n\nCopyright \(c\) 2026 playtally contributors\n/);
    const { stdout } = await run('git', ['ls-files', 'packages/*/package.json'], { cwd: root });
    for (const manifest of stdout.split('\n').filter(Boolean)) {
      const dir = manifest.replace(/package\.json$/, '');
      expect(await read(`${dir}LICENSE`), dir).toBe(license);
      const { files } = JSON.parse(await read(manifest)) as { files: string[] };
      expect(files, manifest).toContain('LICENSE');
    }
  });

  it('has no key twice in any package.json (a merge can leave one, and JSON.parse hides it)', async () => {
    const { stdout } = await run('git', ['ls-files', 'package.json', '*/package.json'], {
      cwd: root,
    });
    const manifests = stdout.split('\n').filter(Boolean);
    expect(manifests.length).toBeGreaterThan(5);
    for (const manifest of manifests) {
      const text = await read(manifest);
      // The keys of each innermost object (dependencies, scripts, exports' conditions …), from the text.
      for (const object of text.match(/\{[^{}]*\}/g) ?? []) {
        const keys = [...object.matchAll(/^\s*"([^"]+)":/gm)].map((match) => match[1]);
        const repeated = keys.filter((key, index) => keys.indexOf(key) !== index);
        expect(repeated, `${manifest}: ${object.slice(0, 60)}`).toEqual([]);
      }
    }
  });
});
