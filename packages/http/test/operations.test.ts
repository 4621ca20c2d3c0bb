import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFsBlobStore, PlaytallyError } from '@playtally/service';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CANONICAL_INPUT,
  createHarness,
  csvForm,
  type ErrorBody,
  type Harness,
  type OpenApiBody,
} from './harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('/healthz and /readyz', () => {
  it('report alive and ready when the broker and every check answer', async () => {
    harness = await createHarness({
      workers: false,
      readinessChecks: { database: async () => {} },
    });
    expect(await (await harness.request('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await harness.request('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: { broker: { ok: true }, storage: { ok: true }, database: { ok: true } },
    });
  });

  it('answer 503 naming the component that failed, without its address', async () => {
    harness = await createHarness({
      workers: false,
      readinessChecks: {
        database: async () => {
          throw new Error('connect ECONNREFUSED 10.0.0.7:5432 (postgres://app:secret@db/app)');
        },
        storage: async () => {
          throw new PlaytallyError('STORAGE_FULL', 'ENOSPC writing /srv/data/blobs/.probe', {
            details: { component: 'storage', reason: 'disk full' },
          });
        },
      },
    });
    const response = await harness.request('/readyz');
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    const text = await response.text();
    expect(text).not.toMatch(/10\.0\.0\.7|secret|\/srv/);
    expect(JSON.parse(text)).toEqual({
      error: {
        code: 'NOT_READY',
        message: 'not ready: storage, database unavailable',
        details: {
          checks: {
            broker: { ok: true },
            database: { ok: false, error: 'unavailable' },
            storage: { ok: false, error: 'out of space or read-only' },
          },
          retryAfterSeconds: 5,
        },
      },
    });
  });
});

describe('/readyz and the blob storage', () => {
  it('answers 503 when the blob store cannot be used, naming only the component', async () => {
    const blobs = {
      ...createFsBlobStore({ directory: join(tmpdir(), 'playtally-unused-blobs') }),
      ping: async () => {
        throw new Error('the bucket "plays" does not exist');
      },
    };
    harness = await createHarness({ workers: false, blobs });
    const response = await harness.request('/readyz');
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({
      error: {
        message: 'not ready: storage unavailable',
        details: { checks: { storage: { ok: false, error: 'unavailable' } } },
      },
    });
  });
});

describe('/metrics', () => {
  it('exposes jobs by status, queue latency, processed bytes and request durations', async () => {
    harness = await createHarness();
    const upload = await harness.request('/v1/jobs', {
      method: 'POST',
      body: csvForm(CANONICAL_INPUT),
    });
    const { id } = (await upload.json()) as { id: string };
    await harness.waitForJob(id, 'succeeded');
    // job.completed reaches the metrics through the events topic, a moment after the store.
    let text = '';
    for (let i = 0; i < 100 && !text.includes('playtally_processed_bytes_total '); i++) {
      text = await (await harness.request('/metrics')).text();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const response = await harness.request('/metrics');
    expect(response.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    text = await response.text();
    expect(text).toContain('# TYPE playtally_jobs gauge');
    expect(text).toContain('playtally_jobs{status="succeeded"} 1');
    expect(text).toContain('playtally_jobs{status="queued"} 0');
    expect(text).toContain('# TYPE playtally_job_queue_latency_seconds histogram');
    expect(text).toContain('playtally_job_queue_latency_seconds_count 1');
    expect(text).toContain('playtally_job_queue_latency_seconds_bucket{le="+Inf"} 1');
    expect(text).toContain(`playtally_processed_bytes_total ${Buffer.byteLength(CANONICAL_INPUT)}`);
    expect(text).toContain('playtally_jobs_finished_total{status="succeeded"} 1');
    expect(text).toMatch(
      /playtally_http_request_duration_seconds_count\{method="POST",route="\/v1\/jobs",status="202"\} 1/,
    );
    expect(text).toMatch(
      /playtally_http_request_duration_seconds_bucket\{le="\+Inf",method="GET",route="\/v1\/jobs\/:id",status="200"\} \d+/,
    );
  });
});

describe('/openapi.json and /docs', () => {
  it('describe every route, generated from the schemas', async () => {
    harness = await createHarness({ workers: false });
    const response = await harness.request('/openapi.json');
    expect(response.status).toBe(200);
    const document = (await response.json()) as OpenApiBody;
    expect(document.openapi).toBe('3.1.0');
    expect(document.info.title).toBe('playtally');
    const operations = Object.entries(document.paths as Record<string, object>).flatMap(
      ([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(
      [
        'POST /v1/jobs',
        'GET /v1/jobs',
        'GET /v1/jobs/{id}',
        'GET /v1/jobs/{id}/result',
        'DELETE /v1/jobs/{id}',
        'POST /v1/messages',
        'GET /v1/messages',
        'GET /v1/messages/{id}',
        'GET /v1/events',
        'GET /healthz',
        'GET /readyz',
        'GET /metrics',
        'GET /v1/workers',
        'GET /v1/queues',
        'GET /v1/dead-letters',
        'GET /v1/dead-letters/{id}',
        'POST /v1/dead-letters/{id}/replay',
        'DELETE /v1/dead-letters/{id}',
      ].sort(),
    );
    expect(document.components.schemas.Job?.properties?.status?.enum).toEqual([
      'queued',
      'processing',
      'succeeded',
      'failed',
      'cancelled',
      'expired',
    ]);
    expect(document.components.schemas.Error).toBeDefined();
    expect(Object.keys(document.paths['/v1/jobs']?.post?.requestBody?.content ?? {})).toEqual([
      'multipart/form-data',
      'text/csv',
    ]);
    expect(document.paths['/v1/jobs']?.post?.security).toEqual([
      {},
      { ApiKey: [] },
      { Bearer: [] },
    ]);
    // GETs also take ?apiKey=, for WebSockets and download links.
    expect(document.paths['/v1/jobs']?.get?.security).toEqual([
      {},
      { ApiKey: [] },
      { Bearer: [] },
      { ApiKeyQuery: [] },
    ]);
    expect(document.paths['/healthz']?.get?.security).toEqual([]);
    const docs = await harness.request('/docs');
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('docs/assets/swagger-ui-bundle.js');
  });

  it('answers unknown routes with a JSON 404', async () => {
    harness = await createHarness({ workers: false });
    const response = await harness.request('/v2/nothing');
    expect(response.status).toBe(404);
    expect(((await response.json()) as ErrorBody).error.code).toBe('NOT_FOUND');
  });
});
