import { readFile } from 'node:fs/promises';
import type { StoredMessage } from '@playtally/service';
import type { FootageMessageInput, FootageSystem } from '../src/index.js';

/** A valid footage body with the given predictions. */
export function footageBody(
  preds: FootageMessageInput['data']['preds'],
  overrides: Partial<FootageMessageInput> = {},
): FootageMessageInput {
  return {
    device_id: 'cam-7',
    client_id: 42,
    created_at: '2024-05-01T12:00:00Z',
    data: { license_id: 9, preds },
    ...overrides,
  };
}

/** `POST /v1/messages?type=footage` with `body` as JSON. */
export function postFootage(system: FootageSystem, body: unknown): Promise<Response> {
  return Promise.resolve(
    system.api.app.request('/v1/messages?type=footage', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  );
}

/** Posts a valid body, expects 202 and returns the stored message. */
export async function postAccepted(system: FootageSystem, body: unknown): Promise<StoredMessage> {
  const response = await postFootage(system, body);
  if (response.status !== 202) {
    throw new Error(`expected 202, got ${response.status}: ${await response.text()}`);
  }
  return (await response.json()) as StoredMessage;
}

/** Polls `GET /v1/messages/:id` until the consumer has marked the message consumed. */
export async function waitConsumed(system: FootageSystem, id: string): Promise<StoredMessage> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const response = await system.api.app.request(`/v1/messages/${id}`);
    const message = (await response.json()) as StoredMessage;
    if (message.status === 'consumed') return message;
    if (Date.now() > deadline) throw new Error(`message ${id} is still ${message.status}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The lines of a CSV file without its final newline. */
export async function csvLines(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8');
  if (!text.endsWith('\n')) throw new Error(`${path} does not end with a newline`);
  return text.slice(0, -1).split('\n');
}
