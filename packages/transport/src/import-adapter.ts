import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PlaytallyError } from '@playtally/core';
import { redactUrl } from './redact-url.js';

/**
 * Loads an adapter package: through the application's `importModule` if given, then core's own
 * `import()`, then the `node_modules` folders above the working directory. Fails with
 * `ADAPTER_NOT_INSTALLED` (naming the package to add) when none finds it, and with
 * `TRANSPORT_ERROR` when the package is there but fails to load. `url` only appears redacted.
 */
export async function loadAdapter(
  packageName: string,
  url: string,
  importModule: ((specifier: string) => Promise<unknown>) | undefined,
): Promise<Record<string, unknown>> {
  const loaders = [
    ...(importModule === undefined ? [] : [() => importModule(packageName)]),
    () => import(/* @vite-ignore */ packageName) as Promise<unknown>,
    () => importFromWorkingDirectory(packageName),
  ];
  for (const load of loaders) {
    try {
      const module = await load();
      if (module !== undefined) return module as Record<string, unknown>;
    } catch (error) {
      if (!isModuleNotFound(error, packageName)) {
        throw new PlaytallyError(
          'TRANSPORT_ERROR',
          `loading ${packageName} for ${redactUrl(url)} failed`,
          {
            cause: error,
            details: { package: packageName },
          },
        );
      }
    }
  }
  throw new PlaytallyError(
    'ADAPTER_NOT_INSTALLED',
    `TRANSPORT_URL ${redactUrl(url)} needs ${packageName}: pnpm add ${packageName}`,
    { details: { package: packageName, url: redactUrl(url) } },
  );
}

/**
 * Imports an ESM package installed in a `node_modules` folder at or above the working
 * directory, following its `exports` map (the `import` or `default` condition) or `module` /
 * `main`. Core cannot resolve adapter packages itself under pnpm's strict layout, but the
 * application it runs in usually can. Resolves `undefined` when the package is not there.
 */
export async function importFromWorkingDirectory(packageName: string): Promise<unknown> {
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    const packageDir = join(dir, 'node_modules', ...packageName.split('/'));
    const manifestPath = join(packageDir, 'package.json');
    if (existsSync(manifestPath)) {
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
      return import(pathToFileURL(join(packageDir, entryPoint(manifest))).href);
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** True when `error` says `packageName` itself (not one of its dependencies) was not found. */
export function isModuleNotFound(error: unknown, packageName: string): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  const notFound =
    code === 'ERR_MODULE_NOT_FOUND' ||
    code === 'MODULE_NOT_FOUND' ||
    /cannot find (module|package)|failed to load url/i.test(error.message);
  // Quoted, so that "cannot find 'amqplib' imported from …/@playtally/transport-amqp/…" (a
  // broken install of the adapter) is not mistaken for the adapter being absent.
  return (
    notFound &&
    [`'${packageName}'`, `"${packageName}"`, `url ${packageName}`].some((s) =>
      error.message.includes(s),
    )
  );
}

interface Manifest {
  exports?: unknown;
  module?: string;
  main?: string;
}

function entryPoint(manifest: Manifest): string {
  const fromExports = exportTarget(
    typeof manifest.exports === 'object' && manifest.exports !== null && '.' in manifest.exports
      ? (manifest.exports as Record<string, unknown>)['.']
      : manifest.exports,
  );
  return fromExports ?? manifest.module ?? manifest.main ?? 'index.js';
}

function exportTarget(target: unknown): string | undefined {
  if (typeof target === 'string') return target;
  if (typeof target !== 'object' || target === null) return undefined;
  const conditions = target as Record<string, unknown>;
  for (const condition of ['import', 'node', 'default']) {
    const resolved = exportTarget(conditions[condition]);
    if (resolved !== undefined) return resolved;
  }
  return undefined;
}
