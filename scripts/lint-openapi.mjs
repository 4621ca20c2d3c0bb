// `pnpm lint:openapi`: writes the API's OpenAPI document, as the built app serves it, to
// .openapi/openapi.json and lints it with Redocly CLI's recommended rules (redocly.yaml).
// Needs `pnpm build` first. Exits non-zero on any error.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { createApp } = await import('../packages/http/dist/index.js');
const { createMemoryJobStore, createMemoryMessageStore, createFsBlobStore } = await import(
  '../packages/service/dist/index.js'
);
const { createMemoryTransport } = await import('../packages/transport/dist/index.js');

const scratch = await mkdtemp(join(tmpdir(), 'playtally-openapi-'));
const api = createApp({
  jobs: createMemoryJobStore(),
  messages: createMemoryMessageStore(),
  blobs: createFsBlobStore({ directory: scratch }),
  transport: createMemoryTransport(),
});
const response = await api.app.request('/openapi.json');
if (response.status !== 200) throw new Error(`/openapi.json answered ${response.status}`);
const document = await response.json();
await rm(scratch, { recursive: true, force: true });

const outDir = join(root, '.openapi');
await mkdir(outDir, { recursive: true });
const file = join(outDir, 'openapi.json');
await writeFile(file, `${JSON.stringify(document, null, 2)}\n`);
const operations = Object.values(document.paths).flatMap((item) => Object.keys(item)).length;
console.log(`lint-openapi: ${operations} operations in ${file}`);

const lint = spawnSync(
  join(root, 'node_modules/.bin/redocly'),
  ['lint', file, '--format', 'stylish'],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
  },
);
process.exit(lint.status ?? 1);
