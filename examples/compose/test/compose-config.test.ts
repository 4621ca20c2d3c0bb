import { execFile } from 'node:child_process';
import { copyFile, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requireService } from '@playtally/transport/testing';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const run = promisify(execFile);
const stacks = ['rabbitmq', 'kafka', 'redis'] as const;
const composeDir = join(import.meta.dirname, '..');

const available = await requireService('docker-compose (Debian package docker-compose)', () =>
  run('docker-compose', ['version']),
);

interface ComposeService {
  command?: string[] | string;
  entrypoint?: string[];
  environment?: Record<string, string>;
  volumes?: unknown[];
  depends_on?: Record<string, unknown>;
  healthcheck?: unknown;
}

/** `docker-compose config` of a stack, with its `.env.example` as the `.env`. */
async function resolvedConfig(
  stack: string,
): Promise<{ services: Record<string, ComposeService> }> {
  const dir = join(composeDir, stack);
  await copyFile(join(dir, '.env.example'), join(dir, '.env'));
  try {
    const { stdout } = await run('docker-compose', ['config'], { cwd: dir });
    return parse(stdout);
  } finally {
    await rm(join(dir, '.env'), { force: true });
  }
}

describe.skipIf(!available)('compose stacks', () => {
  it.each(stacks)(
    '%s passes docker-compose config with an api, two workers, postgres, MinIO and a healthy broker',
    async (stack) => {
      const { services } = await resolvedConfig(stack);
      expect(Object.keys(services).sort()).toEqual(
        ['api', stack, 'minio', 'minio-bucket', 'postgres', 'worker-1', 'worker-2'].sort(),
      );
      expect(services.api?.command).toEqual(['api']);
      expect(services['worker-1']?.command).toEqual(['worker']);
      expect(services['worker-2']?.command).toEqual(['worker']);
      expect(services[stack]?.healthcheck).toBeDefined();
      expect(services.minio?.healthcheck).toBeDefined();
      for (const name of ['api', 'worker-1', 'worker-2']) {
        expect(services[name]?.depends_on).toHaveProperty(stack);
        expect(services[name]?.depends_on).toMatchObject({
          'minio-bucket': { condition: 'service_completed_successfully' },
        });
        // Shared nothing but the broker, the database and the bucket.
        expect(services[name]?.volumes ?? []).toEqual([]);
        expect(services[name]?.environment?.STORAGE_URL).toMatch(/^s3:\/\//);
        expect(services[name]?.environment).not.toHaveProperty('STORAGE_DIR');
      }
    },
  );

  it.each(stacks)(
    '%s creates the bucket STORAGE_URL names, with the credentials the processes use',
    async (stack) => {
      const { services } = await resolvedConfig(stack);
      const environment = services.api?.environment ?? {};
      const bucket = /^s3:\/\/([^/?]+)/.exec(environment.STORAGE_URL ?? '')?.[1];
      const init = services['minio-bucket'];
      expect(String(init?.command)).toContain(`mc mb --ignore-existing playtally/${bucket}`);
      expect(init?.environment).toEqual({
        S3_ACCESS_KEY: environment.AWS_ACCESS_KEY_ID,
        S3_SECRET_KEY: environment.AWS_SECRET_ACCESS_KEY,
      });
      expect(services.minio?.environment).toEqual({
        MINIO_ROOT_USER: environment.AWS_ACCESS_KEY_ID,
        MINIO_ROOT_PASSWORD: environment.AWS_SECRET_ACCESS_KEY,
      });
    },
  );

  it('differ only in TRANSPORT_URL between brokers', async () => {
    const environments = await Promise.all(
      stacks.map(async (stack) => (await resolvedConfig(stack)).services.api?.environment ?? {}),
    );
    const urls = environments.map((env) => env.TRANSPORT_URL);
    expect(urls).toEqual([
      'amqp://playtally:playtally@rabbitmq:5672',
      'kafka://kafka:9092',
      'redis://redis:6379',
    ]);
    const withoutUrl = environments.map(({ TRANSPORT_URL: _url, ...rest }) => rest);
    expect(withoutUrl[1]).toEqual(withoutUrl[0]);
    expect(withoutUrl[2]).toEqual(withoutUrl[0]);
  });
});

describe('compose files', () => {
  it.each(stacks)('%s has no obsolete top-level version key', async (stack) => {
    const document = parse(await readFile(join(composeDir, stack, 'docker-compose.yml'), 'utf8'));
    expect(Object.keys(document)).not.toContain('version');
  });

  it.each(stacks)(
    '%s: .env.example sets the TRANSPORT_URL the stack uses by default',
    async (stack) => {
      const dir = join(composeDir, stack);
      const example = await readFile(join(dir, '.env.example'), 'utf8');
      const fromExample = /^TRANSPORT_URL=(.+)$/m.exec(example)?.[1];
      const compose = await readFile(join(dir, 'docker-compose.yml'), 'utf8');
      const fallback = /TRANSPORT_URL: "\$\{TRANSPORT_URL:-([^}]+)\}"/.exec(compose)?.[1];
      expect(fromExample).toBeDefined();
      expect(fromExample).toBe(fallback);
    },
  );
});
