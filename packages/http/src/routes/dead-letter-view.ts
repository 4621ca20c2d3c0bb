import type { DeadLetter } from '@playtally/service';
import { decodeCloudEvent } from '@playtally/transport';
import { toStructuredCloudEvent } from './events.js';

/** A dead letter as the API shows it. */
export type DeadLetterView = Omit<DeadLetter, 'event'> & { event: Record<string, unknown> };

/** A dead letter as the API shows it: its original event in JSON structured mode. */
export function deadLetterView(letter: DeadLetter): DeadLetterView {
  const { event, ...rest } = letter;
  const body = Buffer.from(event.bodyBase64, 'base64');
  let structured: Record<string, unknown>;
  try {
    const decoded = decodeCloudEvent(event.attributes, body);
    if (decoded.data instanceof Uint8Array) {
      const { data: _bytes, ...attributes } = toStructuredCloudEvent(decoded);
      structured = { ...attributes, data_base64: event.bodyBase64 };
    } else {
      structured = toStructuredCloudEvent(decoded);
    }
  } catch {
    structured = { ...event.attributes, data_base64: event.bodyBase64 };
  }
  return { ...rest, event: structured };
}
