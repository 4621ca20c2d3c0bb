import { randomUUID } from 'node:crypto';

/** A job submitted by {@link submitJob}. */
export interface SubmittedJob {
  readonly key: string;
  id?: string;
}

/**
 * Submits a CSV as a careful client does: with an `Idempotency-Key`, retried with the same key
 * after a 503 or a dropped connection until answered 202 or `deadline`.
 */
export async function submitJob(
  baseUrl: () => string | undefined,
  csv: string,
  deadline = Date.now() + 60_000,
): Promise<SubmittedJob> {
  const job: SubmittedJob = { key: randomUUID() };
  while (Date.now() < deadline) {
    const base = baseUrl();
    if (base !== undefined) {
      try {
        const response = await fetch(`${base}/v1/jobs?filename=plays.csv`, {
          method: 'POST',
          headers: { 'content-type': 'text/csv', 'idempotency-key': job.key },
          body: csv,
          signal: AbortSignal.timeout(15_000),
        });
        if (response.status === 202) {
          job.id = ((await response.json()) as { id: string }).id;
          return job;
        }
        await response.body?.cancel();
      } catch {
        // retried below
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  return job;
}

/** A job's status and attempts, once final (or as it is at `timeoutMs`). */
export async function waitForJob(
  baseUrl: string,
  id: string,
  timeoutMs: number,
): Promise<{ status: string; attempts: number; error: { message: string } | null }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${baseUrl}/v1/jobs/${id}`).catch(() => undefined);
    const job = response?.ok
      ? ((await response.json()) as {
          status: string;
          attempts: number;
          error: { message: string } | null;
        })
      : undefined;
    if (job && ['succeeded', 'failed', 'cancelled'].includes(job.status)) return job;
    if (Date.now() > deadline) return job ?? { status: 'unknown', attempts: 0, error: null };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The result of a succeeded job. */
export async function resultOf(baseUrl: string, id: string): Promise<string> {
  return (await fetch(`${baseUrl}/v1/jobs/${id}/result`)).text();
}
