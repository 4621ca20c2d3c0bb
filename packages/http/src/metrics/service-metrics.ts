import {
  type EventHub,
  isJobEvent,
  isMessageEvent,
  type JobStatus,
  type JobStore,
} from '@playtally/service';
import { createMetricsRegistry, type Histogram, type MetricsRegistry } from './registry.js';

/** The metrics `/metrics` exposes and the hooks that feed them. */
export interface ServiceMetrics {
  readonly registry: MetricsRegistry;
  /** Observed by the request middleware. */
  readonly httpDuration: Histogram;
  /** Starts counting the events the hub relays; returns a function that stops it. */
  follow(hub: EventHub): () => void;
  /** Called with +1/-1 as WebSocket clients come and go. */
  trackClients(delta: number): void;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const HTTP_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Creates the service metrics: jobs by state (read from the job store at scrape time), queue
 * latency (requested → started, from `job.started` events), processed bytes, finished jobs and
 * messages (from events), HTTP request durations, and connected WebSocket clients. Event-fed
 * metrics count what this instance saw on the events topic, which is every event.
 */
export function createServiceMetrics(jobs: JobStore): ServiceMetrics {
  const registry = createMetricsRegistry();
  let clients = 0;
  registry.gauge('playtally_jobs', 'Jobs by status.', async () => {
    const counts = await jobs.countByStatus();
    return (Object.entries(counts) as [JobStatus, number][]).map(([status, n]) => [{ status }, n]);
  });
  const queueLatency = registry.histogram(
    'playtally_job_queue_latency_seconds',
    'Time from a job being requested to a worker first starting it.',
    LATENCY_BUCKETS,
  );
  const processedBytes = registry.counter(
    'playtally_processed_bytes_total',
    'Bytes of CSV read by jobs that succeeded.',
  );
  const finishedJobs = registry.counter(
    'playtally_jobs_finished_total',
    'Jobs that reached a final status, by status.',
  );
  const messages = registry.counter('playtally_messages_total', 'Message events, by event type.');
  const httpDuration = registry.histogram(
    'playtally_http_request_duration_seconds',
    'HTTP request durations by method, route and status.',
    HTTP_BUCKETS,
  );
  registry.gauge('playtally_websocket_clients', 'Connected event WebSocket clients.', async () => [
    [{}, clients],
  ]);

  return {
    registry,
    httpDuration,
    trackClients(delta) {
      clients += delta;
    },
    follow(hub) {
      return hub.onEvent((event) => {
        if (isJobEvent(event)) {
          const { job } = event.data;
          if (event.type === 'job.started' && job.attempts === 1 && job.startedAt) {
            const seconds = (Date.parse(job.startedAt) - Date.parse(job.createdAt)) / 1000;
            if (Number.isFinite(seconds)) queueLatency.observe(Math.max(0, seconds));
          } else if (event.type === 'job.completed') {
            processedBytes.inc({}, job.statistics?.bytesRead ?? job.sizeBytes);
            finishedJobs.inc({ status: 'succeeded' });
          } else if (event.type === 'job.failed') {
            finishedJobs.inc({ status: 'failed' });
          } else if (event.type === 'job.cancelled') {
            finishedJobs.inc({ status: 'cancelled' });
          }
        } else if (isMessageEvent(event)) {
          messages.inc({ type: event.type });
        }
      });
    },
  };
}
