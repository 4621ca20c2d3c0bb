import { PlaytallyError } from '@playtally/service';
import { type CloudEvent, fromJsonEventFormat, isJsonMediaType } from '@playtally/transport';

/** The media type of a batch of events (CloudEvents HTTP binding, batched content mode). */
export const BATCH_MEDIA_TYPE = 'application/cloudevents-batch+json';

/** What `POST /v1/messages` takes from one event of a structured or batched request. */
export interface PostedEvent {
  readonly data: unknown;
  readonly type: string;
  readonly source: string;
  readonly eventId: string;
  readonly eventTime: string | undefined;
}

/**
 * The events of a parsed structured-mode (`application/cloudevents+json`, one object) or
 * batched-mode (`application/cloudevents-batch+json`, an array) request body, each checked
 * before any is stored: a CloudEvent of spec version 1.0 with JSON data. Refuses with
 * `VALIDATION_FAILED` naming the event at fault.
 */
export function postedEvents(body: unknown, batched: boolean): PostedEvent[] {
  if (batched && !Array.isArray(body))
    throw refused('a batch (application/cloudevents-batch+json) must be a JSON array of events');
  const envelopes: unknown[] = batched ? (body as unknown[]) : [body];
  if (batched && envelopes.length === 0) throw refused('the batch holds no event');
  return envelopes.map((envelope, index) => {
    const where = batched ? `event ${index} of the batch` : 'the event';
    let event: CloudEvent;
    try {
      event = fromJsonEventFormat(envelope);
    } catch (error) {
      throw refused(`${where}: ${(error as Error).message}`);
    }
    if (!isJsonMediaType(event.datacontenttype) || event.data instanceof Uint8Array)
      throw refused(`${where}: data must be JSON, not ${event.datacontenttype}`);
    return {
      data: event.data,
      type: event.type,
      source: event.source,
      eventId: event.id,
      eventTime: event.time,
    };
  });
}

function refused(message: string): PlaytallyError {
  return new PlaytallyError('VALIDATION_FAILED', message, {
    details: { issues: [{ path: [], message, code: 'custom' }] },
  });
}
