// Whether a package's build output is older than what it is built from.
import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';

/** Files that never reach the build output: tests and the folders they live in. */
const NOT_BUILT = /(\.test\.ts$|\.test-d\.ts$|^test$|^node_modules$|^dist$)/;

/**
 * The newest file of what `pkg` is built from: its `src/` (tests left out), `package.json` and
 * `tsup.config.ts`.
 * @param {string} dir
 * @returns {Promise<{ file: string, mtimeMs: number }>}
 */
export async function newestInput(dir) {
  let newest = { file: 'package.json', mtimeMs: 0 };
  /** @param {string} file */
  const consider = async (file) => {
    const info = await stat(file).catch(() => undefined);
    if (info && info.mtimeMs > newest.mtimeMs)
      newest = { file: relative(dir, file), mtimeMs: info.mtimeMs };
  };
  await consider(join(dir, 'package.json'));
  await consider(join(dir, 'tsup.config.ts'));
  /** @param {string} folder */
  const walk = async (folder) => {
    const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
    await Promise.all(
      entries.map((entry) => {
        if (NOT_BUILT.test(entry.name)) return undefined;
        const path = join(folder, entry.name);
        return entry.isDirectory() ? walk(path) : consider(path);
      }),
    );
  };
  await walk(join(dir, 'src'));
  return newest;
}

/**
 * Why `pkg` must be built, or `undefined` when its output is newer than its sources and than
 * the outputs of the workspace packages its build bundles (those it imports at run time instead
 * are read from their own dist/ folders, so their rebuild does not make it stale).
 * @param {import('./workspace-graph.mjs').WorkspacePackage} pkg
 * @param {Map<string, import('./workspace-graph.mjs').WorkspacePackage>} packages
 * @returns {Promise<string | undefined>}
 */
export async function staleReason(pkg, packages) {
  const output = await stat(pkg.output).catch(() => undefined);
  if (!output) return 'not built yet';
  const input = await newestInput(pkg.dir);
  if (input.mtimeMs > output.mtimeMs) return `${input.file} changed`;
  for (const name of pkg.bundledDependencies) {
    const dependency = packages.get(name);
    const built = dependency && (await stat(dependency.output).catch(() => undefined));
    if (built && built.mtimeMs > output.mtimeMs) return `${name} was rebuilt`;
  }
  return undefined;
}
