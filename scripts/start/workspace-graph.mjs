// The workspace packages a program needs, in the order they must be built.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * @typedef {object} WorkspacePackage
 * @property {string} name    the package name
 * @property {string} dir     absolute folder
 * @property {string} output  absolute path of the file whose age says when it was last built
 * @property {string[]} workspaceDependencies names of the workspace packages it uses
 * @property {string[]} bundledDependencies those of them its build copies into its own output:
 *   tsup bundles what is neither a dependency nor a peer dependency (here: devDependencies only)
 */

/**
 * Reads every `package.json` one level under `packages/` and `examples/` of `root`.
 * @param {string} root
 * @returns {Promise<Map<string, WorkspacePackage>>}
 */
export async function readWorkspace(root) {
  /** @type {Map<string, WorkspacePackage>} */
  const packages = new Map();
  for (const parent of ['packages', 'examples']) {
    const entries = await readdir(join(root, parent), { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      const dir = join(root, parent, entry.name);
      const manifest = await readFile(join(dir, 'package.json'), 'utf8').catch(() => undefined);
      if (manifest === undefined) continue;
      const pkg = JSON.parse(manifest);
      const declared = {
        ...pkg.devDependencies,
        ...pkg.peerDependencies,
        ...pkg.dependencies,
      };
      const workspace = (/** @type {Record<string, string> | undefined} */ ranges) =>
        Object.entries(ranges ?? {})
          .filter(([, range]) => String(range).startsWith('workspace:'))
          .map(([name]) => name);
      const external = new Set([
        ...workspace(pkg.dependencies),
        ...workspace(pkg.peerDependencies),
      ]);
      packages.set(pkg.name, {
        name: pkg.name,
        dir,
        output: join(dir, pkg.main ?? 'dist/main.js'),
        workspaceDependencies: workspace(declared),
        bundledDependencies: workspace(pkg.devDependencies).filter((name) => !external.has(name)),
      });
    }
  }
  return packages;
}

/**
 * `target` and every workspace package it depends on, directly or not, dependencies first.
 * @param {Map<string, WorkspacePackage>} packages
 * @param {string} target
 * @returns {WorkspacePackage[]}
 */
export function buildOrder(packages, target) {
  /** @type {WorkspacePackage[]} */
  const order = [];
  const state = new Map();
  /** @param {string} name @param {string[]} path */
  const visit = (name, path) => {
    const pkg = packages.get(name);
    if (!pkg)
      throw new Error(
        `${path.at(-1) ?? 'start'} depends on ${name}, which is not in the workspace`,
      );
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting')
      throw new Error(`dependency cycle: ${[...path, name].join(' → ')}`);
    state.set(name, 'visiting');
    for (const dependency of pkg.workspaceDependencies) visit(dependency, [...path, name]);
    state.set(name, 'done');
    order.push(pkg);
  };
  visit(target, []);
  return order;
}
