import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * One vitest run for the whole workspace. Workspace packages resolve to their TypeScript
 * sources, so tests never run against a stale build. Tests that stop or restart a shared
 * broker live in `*.fault.test.ts` and run in their own project, one file at a time, after the rest.
 */
export default defineConfig({
  resolve: {
    alias: [
      {
        find: /^@playtally\/([a-z-]+)\/testing$/,
        replacement: `${root}packages/$1/src/testing/index.ts`,
      },
      { find: /^@playtally\/([a-z-]+)$/, replacement: `${root}packages/$1/src/index.ts` },
    ],
  },
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            'packages/*/src/**/*.test.ts',
            'packages/*/test/**/*.test.ts',
            'examples/*/test/**/*.test.ts',
            'scripts/**/*.test.ts',
          ],
          exclude: ['**/*.fault.test.ts', '**/*.browser.test.ts', '**/node_modules/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['**/*.browser.test.ts'],
          exclude: ['**/node_modules/**'],
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'faults',
          include: ['**/*.fault.test.ts'],
          exclude: ['**/node_modules/**'],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
