import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// No Docker engine runs in CI, so the image is checked by reading its recipe: these are the
// properties that make rebuilds fast and the runtime image small.
const repository = fileURLToPath(new URL('../../..', import.meta.url));
const dockerfile = await readFile(join(repository, 'examples/server/Dockerfile'), 'utf8');
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .filter((line) => line.trim() && !line.trim().startsWith('#'));
const indexOf = (pattern: RegExp) => instructions.findIndex((line) => pattern.test(line));

async function workspaceManifests(): Promise<string[]> {
  const { packages } = parse(await readFile(join(repository, 'pnpm-workspace.yaml'), 'utf8')) as {
    packages: string[];
  };
  const manifests: string[] = [];
  for (const pattern of packages) {
    const parent = pattern.replace(/\/\*$/, '');
    for (const entry of await readdir(join(repository, parent), { withFileTypes: true })) {
      const manifest = `${parent}/${entry.name}/package.json`;
      if (entry.isDirectory() && (await readFile(join(repository, manifest)).catch(() => null)))
        manifests.push(manifest);
    }
  }
  return manifests;
}

describe('the server image recipe', () => {
  it('installs dependencies from the manifests and lockfile alone, before copying the sources', async () => {
    const install = indexOf(/^RUN pnpm install --frozen-lockfile/);
    const sources = indexOf(/^COPY \. \.$/);
    expect(install).toBeGreaterThan(0);
    expect(sources).toBeGreaterThan(install);
    const copiedBefore = instructions.slice(0, install).join('\n');
    for (const file of ['pnpm-lock.yaml', 'pnpm-workspace.yaml', ...(await workspaceManifests())])
      expect(copiedBefore, `${file} is copied before pnpm install`).toContain(file);
  });

  it('uses the pnpm version that packageManager names', async () => {
    const manifest = JSON.parse(await readFile(join(repository, 'package.json'), 'utf8')) as {
      packageManager: string;
    };
    expect(manifest.packageManager).toMatch(/^pnpm@\d+\.\d+\.\d+$/);
    const pnpmInstall = instructions.find((line) => /npm i(nstall)? -g/.test(line)) ?? '';
    expect(pnpmInstall).toContain('packageManager');
    expect(pnpmInstall).not.toMatch(/pnpm@\d/);
  });

  it('deploys only the production dependencies of the server', () => {
    expect(dockerfile).toMatch(/pnpm deploy --legacy --filter @playtally\/example-server --prod/);
  });

  it('leaves installed, built and local files out of the build context at any depth', async () => {
    const ignored = (await readFile(join(repository, '.dockerignore'), 'utf8'))
      .split('\n')
      .map((line) => line.trim());
    for (const pattern of ['**/node_modules', '**/dist', '**/data', '**/.env', '.git'])
      expect(ignored).toContain(pattern);
  });
});
