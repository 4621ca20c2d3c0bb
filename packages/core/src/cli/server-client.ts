import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { ExitCode } from './cli-command.js';

/** A job as the server's API answers it (the fields the CLI reads). */
export interface RemoteJob {
  readonly id: string;
  readonly status: 'queued' | 'processing' | 'succeeded' | 'failed' | 'cancelled';
  readonly filename: string;
  readonly sizeBytes: number;
  readonly progress: {
    readonly bytesRead: number;
    readonly totalBytes: number;
    readonly rowsRead: number;
  };
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly statistics: {
    readonly rowsRead: number;
    readonly rowsRejected: number;
    readonly groupsWritten: number;
    readonly durationMs: number;
    readonly rejectedExamples: readonly { readonly line: number; readonly reason: string }[];
  } | null;
  readonly createdAt: string;
}

/** The statuses after which a job changes no more. */
export const FINAL_STATUSES: ReadonlySet<RemoteJob['status']> = new Set([
  'succeeded',
  'failed',
  'cancelled',
]);

/**
 * The server could not be reached, or refused a request: the message says which server and
 * why, as a sentence; `exitCode` is what the CLI exits with.
 */
export class ServerError extends Error {
  override readonly name = 'ServerError';
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.Failure,
  ) {
    super(message);
  }
}

/** Where the server is, and the API key when it requires one. */
export interface ServerClientOptions {
  /** The server's base URL, e.g. `http://localhost:3000`. */
  readonly server: string;
  readonly apiKey?: string | undefined;
}

/** The HTTP API of a playtally server, through `fetch` (no dependency). */
export class ServerClient {
  readonly base: URL;
  private readonly apiKey: string | undefined;

  constructor(options: ServerClientOptions) {
    let base: URL;
    try {
      base = new URL(options.server.endsWith('/') ? options.server : `${options.server}/`);
    } catch {
      throw new ServerError(
        `--server must be a URL such as http://localhost:3000, got "${options.server}"`,
        ExitCode.Usage,
      );
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new ServerError(
        `--server must be an http:// or https:// URL, got "${options.server}"`,
        ExitCode.Usage,
      );
    }
    this.base = base;
    this.apiKey = options.apiKey;
  }

  /**
   * Streams the file at `path` to `POST /v1/jobs` as a `text/csv` body (never read into
   * memory), calling `onProgress` with the bytes sent so far. Resolves with the queued job.
   */
  async upload(
    path: string,
    options: {
      onInvalid: 'fail' | 'skip';
      onProgress?: (sent: number, total: number) => void;
      signal?: AbortSignal;
    },
  ): Promise<RemoteJob> {
    const { size } = await stat(path);
    let sent = 0;
    const counting = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        sent += chunk.byteLength;
        options.onProgress?.(sent, size);
        controller.enqueue(chunk);
      },
    });
    const file = Readable.toWeb(
      createReadStream(path, { highWaterMark: 1 << 20 }),
    ) as ReadableStream<Uint8Array>;
    const url = this.url('v1/jobs', { onInvalid: options.onInvalid, filename: basename(path) });
    const response = await this.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', 'content-length': String(size) },
      body: file.pipeThrough(counting),
      duplex: 'half',
      ...(options.signal ? { signal: options.signal } : {}),
    } as RequestInit);
    return this.json<RemoteJob>(response, 'upload the file');
  }

  /** `GET /v1/jobs/:id`. */
  async job(id: string, signal?: AbortSignal): Promise<RemoteJob> {
    const response = await this.fetch(
      this.url(`v1/jobs/${encodeURIComponent(id)}`),
      signal ? { signal } : {},
    );
    return this.json<RemoteJob>(response, `read job ${id}`);
  }

  /** `GET /v1/jobs?limit=`: the newest jobs first. */
  async jobs(limit: number, signal?: AbortSignal): Promise<RemoteJob[]> {
    const response = await this.fetch(
      this.url('v1/jobs', { limit: String(limit) }),
      signal ? { signal } : {},
    );
    return (await this.json<{ items: RemoteJob[] }>(response, 'list the jobs')).items;
  }

  /** `GET /v1/jobs/:id/result`: the output CSV as a stream. */
  async result(id: string, signal?: AbortSignal): Promise<ReadableStream<Uint8Array>> {
    const response = await this.fetch(
      this.url(`v1/jobs/${encodeURIComponent(id)}/result`),
      signal ? { signal } : {},
    );
    if (!response.ok || !response.body)
      await this.json(response, `download the result of job ${id}`);
    return response.body as ReadableStream<Uint8Array>;
  }

  /** The `ws://` or `wss://` URL of the job events (the key rides in the query: a WebSocket sends no headers). */
  eventsUrl(): string {
    const url = this.url('v1/events', {
      types: 'job.',
      ...(this.apiKey ? { apiKey: this.apiKey } : {}),
    });
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    return url.href;
  }

  private url(path: string, query: Record<string, string> = {}): URL {
    const url = new URL(path, this.base);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    return url;
  }

  private async fetch(url: URL, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.apiKey) headers.set('authorization', `Bearer ${this.apiKey}`);
    try {
      return await fetch(url, { ...init, headers });
    } catch (error) {
      if ((error as Error).name === 'AbortError' || init.signal?.aborted) throw error;
      const cause = (error as { cause?: NodeJS.ErrnoException }).cause;
      const why =
        cause?.code === 'ECONNREFUSED'
          ? 'connection refused (is it running? `pnpm start` starts one)'
          : cause?.code === 'ENOTFOUND'
            ? 'no such host'
            : (cause?.message ?? (error as Error).message);
      throw new ServerError(`cannot reach the server at ${this.base.origin}: ${why}`);
    }
  }

  private async json<T>(response: Response, what: string): Promise<T> {
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (response.ok && body !== undefined) return body as T;
    const error = (body as { error?: { message?: string } } | undefined)?.error;
    const reason = error?.message ?? (text.trim().slice(0, 200) || response.statusText);
    throw new ServerError(
      `the server at ${this.base.origin} refused to ${what}: ${reason} (HTTP ${response.status})`,
      response.status === 401 ? ExitCode.Usage : ExitCode.Failure,
    );
  }
}
