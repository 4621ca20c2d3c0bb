import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CreateAppOptions, createApp, type PlaytallyApp } from '@playtally/http';
import {
  createFsBlobStore,
  createJobWorker,
  createMemoryJobStore,
  createMemoryMessageStore,
  createMessageConsumer,
  type Job,
  type JobWorker,
  type MessageConsumer,
} from '@playtally/service';
import { createMemoryTransport } from '@playtally/transport';

export { CANONICAL_INPUT, CANONICAL_OUTPUT } from '@playtally/core';

export interface Harness {
  readonly api: PlaytallyApp;
  readonly options: CreateAppOptions;
  /** The blob store's directory (uploads and results). */
  readonly directory: string;
  /** `api.app.request` with a path relative to the app. */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** Polls the job until it is final (or `status` when given). */
  waitForJob(id: string, status?: Job['status']): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export interface HarnessOptions extends Partial<CreateAppOptions> {
  /** Run a job worker and a message consumer in the same process. @default true */
  workers?: boolean;
}

/** An API on memory stores, a temp-dir blob store and the memory transport. */
export async function createHarness(overrides: HarnessOptions = {}): Promise<Harness> {
  const directory = await mkdtemp(join(tmpdir(), 'playtally-http-'));
  const { workers = true, ...appOverrides } = overrides;
  const transport = createMemoryTransport({ closeTimeoutMs: 2000 });
  const options: CreateAppOptions = {
    jobs: createMemoryJobStore(),
    messages: createMemoryMessageStore(),
    blobs: createFsBlobStore({ directory }),
    transport,
    ...appOverrides,
  };
  const api = createApp(options);
  await api.start();
  let worker: JobWorker | undefined;
  let consumer: MessageConsumer | undefined;
  if (workers) {
    worker = createJobWorker({ ...options, tempDir: directory, progressIntervalMs: 50 });
    consumer = createMessageConsumer({ messages: options.messages, transport });
    await worker.start();
    await consumer.start();
  }
  const request = (path: string, init?: RequestInit) =>
    Promise.resolve(api.app.request(path, init));
  return {
    api,
    options,
    directory,
    request,
    async waitForJob(id, status) {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const keyed = options.apiKey ? { headers: { 'x-api-key': options.apiKey } } : undefined;
        const response = await request(`/v1/jobs/${id}`, keyed);
        const job = (await response.json()) as Record<string, unknown>;
        const final = ['succeeded', 'failed', 'cancelled'].includes(String(job.status));
        if (status ? job.status === status : final) return job;
        if (final) throw new Error(`job ${id} ${String(job.status)}: ${JSON.stringify(job.error)}`);
        if (Date.now() > deadline) throw new Error(`job ${id} still ${String(job.status)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async close() {
      await worker?.close();
      await consumer?.close();
      await api.close();
      await transport.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** A multipart body with the CSV in field `file` (and any extra fields, in order). */
export function csvForm(csv: string, filename = 'plays.csv', fields: Record<string, string> = {}) {
  const form = new FormData();
  form.append('file', new Blob([csv], { type: 'text/csv' }), filename);
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  return form;
}

/** An error answer of the API. */
export interface ErrorBody {
  error: {
    code: string;
    message: string;
    details: ({ status?: string; issues?: unknown[] } & Record<string, unknown>) | null;
  };
}

/** A job answer of the API (or, when the request failed, the error). */
export interface JobBody extends Partial<ErrorBody> {
  id: string;
  status: string;
  filename: string;
  onInvalid: string;
  links: { self: string; result: string; events: string };
  error: ErrorBody['error'];
}

/** A page answer of the API. */
export interface PageBody<T = { id: string }> {
  items: T[];
  nextCursor: string | null;
}

/** A structured-mode CloudEvent as the events WebSocket sends it. */
export interface EventBody {
  type: string;
  subject?: string;
  data: { job?: Record<string, unknown>; message?: Record<string, unknown> };
  [attribute: string]: unknown;
}

/** The OpenAPI document, as far as the tests read it. */
export interface OpenApiBody {
  openapi: string;
  info: { title: string };
  paths: Record<
    string,
    Record<string, { requestBody?: { content: Record<string, unknown> }; security?: unknown }>
  >;
  components: { schemas: Record<string, { properties?: Record<string, { enum?: string[] }> }> };
}
