import { randomUUID } from 'node:crypto';

/** One message the load generator tried to post. */
interface Sent {
  readonly key: string;
  id?: string;
  /** When it was first answered 202. */
  acceptedAt?: number;
  refusals: number;
}

/** The figures every fault test prints and checks. */
export interface Figures {
  readonly sent: number;
  readonly accepted: number;
  readonly stored: number;
  readonly consumed: number;
  /** Accepted (202) but not consumed at the end. */
  readonly lost: number;
  /** Stored messages beyond one per sent message. */
  readonly duplicated: number;
}

/**
 * Posts messages as a careful client does: each with an `Idempotency-Key` of its own, retried
 * with the same key after a 503 or a dropped connection until answered 202 (or `stop`), so a
 * retry can never create a second message. Counts what was sent and accepted, and checks at the
 * end what was stored and consumed.
 */
export class MessageLedger {
  readonly #sent: Sent[] = [];
  #stopped = false;
  /** 202s answered while `window` was open (e.g. the outage). */
  acceptedDuring = 0;
  window = false;
  statuses = new Map<string, number>();

  constructor(private readonly baseUrl: () => string | undefined) {}

  /** Posts `ratePerSecond` messages a second until `stop()`; resolves when all are settled. */
  async run(ratePerSecond: number): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    const interval = 1000 / ratePerSecond;
    let next = Date.now();
    while (!this.#stopped) {
      const attempt = this.#post({ key: randomUUID(), refusals: 0 });
      inFlight.add(attempt);
      void attempt.finally(() => inFlight.delete(attempt));
      next += interval;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - Date.now())));
    }
    await Promise.all(inFlight);
  }

  /** Stops posting; messages not yet accepted get up to `graceMs` more of retries. */
  stop(): void {
    this.#stopped = true;
  }

  async #post(message: Sent): Promise<void> {
    this.#sent.push(message);
    const deadline = () => {
      if (!this.#stopped) return false;
      this.#stoppedAt ??= Date.now();
      return Date.now() > this.#stoppedAt + 30_000;
    };
    while (!deadline()) {
      const base = this.baseUrl();
      let status = 'no API';
      if (base !== undefined) {
        try {
          const response = await fetch(`${base}/v1/messages`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'idempotency-key': message.key },
            body: JSON.stringify({ key: message.key }),
            signal: AbortSignal.timeout(10_000),
          });
          status = String(response.status);
          if (response.status === 202) {
            message.id = ((await response.json()) as { id: string }).id;
            message.acceptedAt = Date.now();
            if (this.window) this.acceptedDuring += 1;
            this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
            return;
          }
          await response.body?.cancel();
        } catch {
          status = 'connection error';
        }
      }
      this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
      message.refusals += 1;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  #stoppedAt: number | undefined;

  /** Waits until every accepted message is consumed (or `timeoutMs`), then counts. */
  async settle(timeoutMs: number): Promise<Figures> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const figures = await this.count();
      if (figures.lost === 0 || Date.now() > deadline) return figures;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  /** Reads every stored message through the API and compares with what was sent. */
  async count(): Promise<Figures> {
    const base = this.baseUrl();
    if (base === undefined) throw new Error('no API to count with');
    const stored = new Map<string, { status: string; key: unknown }>();
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const page = (await (await fetch(`${base}/v1/messages?limit=500${query}`)).json()) as {
        items: { id: string; status: string; data: { key?: unknown } }[];
        nextCursor: string | null;
      };
      for (const item of page.items)
        stored.set(item.id, { status: item.status, key: item.data.key });
      cursor = page.nextCursor;
    } while (cursor !== null);
    const accepted = this.#sent.filter((message) => message.id !== undefined);
    const keys = new Map<unknown, number>();
    for (const { key } of stored.values()) keys.set(key, (keys.get(key) ?? 0) + 1);
    return {
      sent: this.#sent.length,
      accepted: accepted.length,
      stored: accepted.filter((message) => stored.has(message.id!)).length,
      consumed: accepted.filter((message) => stored.get(message.id!)?.status === 'consumed').length,
      lost: accepted.filter((message) => stored.get(message.id!)?.status !== 'consumed').length,
      duplicated: [...keys.values()].reduce((sum, n) => sum + Math.max(0, n - 1), 0),
    };
  }
}

/** Prints the figures in the one format every fault test uses. */
export function printFigures(name: string, figures: Figures, extra: Record<string, unknown> = {}) {
  const more = Object.entries(extra)
    .map(
      ([key, value]) =>
        ` ${key}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`,
    )
    .join('');
  console.log(
    `[fault] ${name}: sent=${figures.sent} accepted=${figures.accepted} stored=${figures.stored} consumed=${figures.consumed} lost=${figures.lost} duplicated=${figures.duplicated}${more}`,
  );
}
