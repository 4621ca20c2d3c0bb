import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, type ErrorBody, type Harness } from './harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('the API key', () => {
  it('is not required when none is configured', async () => {
    harness = await createHarness({ workers: false });
    expect((await harness.request('/v1/jobs')).status).toBe(200);
  });

  it('is required on every /v1 route when configured: missing or wrong answers 401', async () => {
    harness = await createHarness({ workers: false, apiKey: 'sesame' });
    for (const [method, path] of [
      ['GET', '/v1/jobs'],
      ['POST', '/v1/jobs'],
      ['GET', '/v1/jobs/x'],
      ['GET', '/v1/jobs/x/result'],
      ['DELETE', '/v1/jobs/x'],
      ['GET', '/v1/messages'],
      ['POST', '/v1/messages'],
      ['GET', '/v1/messages/x'],
      ['GET', '/v1/events'],
    ] as const) {
      const missing = await harness.request(path, { method });
      expect(missing.status, `${method} ${path} without a key`).toBe(401);
      expect(((await missing.json()) as ErrorBody).error.code).toBe('UNAUTHORIZED');
      const wrong = await harness.request(path, { method, headers: { 'x-api-key': 'open' } });
      expect(wrong.status, `${method} ${path} with a wrong key`).toBe(401);
    }
  });

  it('is accepted as a Bearer token, as X-API-Key, and as ?apiKey on GET only', async () => {
    harness = await createHarness({ workers: false, apiKey: 'sesame' });
    const bearer = await harness.request('/v1/jobs', {
      headers: { authorization: 'Bearer sesame' },
    });
    expect(bearer.status).toBe(200);
    const header = await harness.request('/v1/messages', { headers: { 'x-api-key': 'sesame' } });
    expect(header.status).toBe(200);
    expect((await harness.request('/v1/jobs?apiKey=sesame')).status).toBe(200);
    const postWithQuery = await harness.request('/v1/messages?apiKey=sesame', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(postWithQuery.status).toBe(401);
  });

  it('leaves health, metrics and docs open', async () => {
    harness = await createHarness({ workers: false, apiKey: 'sesame' });
    for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs']) {
      expect((await harness.request(path)).status, path).toBe(200);
    }
  });
});
