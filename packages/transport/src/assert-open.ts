import { PlaytallyError } from '@playtally/core';

/**
 * The check every transport makes before `publish`, `ensure` and `subscribe`: rejects with
 * `TRANSPORT_CLOSED` once closing has begun (naming the transport, the action and the topic),
 * and with `INVALID_INPUT` for an empty topic.
 */
export function assertTransportOpen(
  transport: string,
  closed: boolean,
  action: string,
  topic: string,
): void {
  if (closed) {
    throw new PlaytallyError(
      'TRANSPORT_CLOSED',
      `${transport} transport is closed: cannot ${action} "${topic}"`,
      { details: { topic } },
    );
  }
  if (!topic) throw new PlaytallyError('INVALID_INPUT', 'topic must not be empty');
}
