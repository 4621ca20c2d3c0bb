import {
  type EventHub,
  isJobEvent,
  isMessageEvent,
  type JobStatus,
  type JobStore,
  type WorkerRegistry,
} from '@playtally/service';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The metrics `/metrics` exposes and the hooks that feed them. */
export interface ServiceMetrics {
  /** A prom-client registry of this app's own (two apps in one process never share series). */
  readonly registry: Registry;
  /** Observed by the request middleware. */
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  /** Starts counting the events the hub relays; returns a function that stops it. */
  follow(hub: EventHub): () => void;
  /** Called with +1/-1 as WebSocket clients come and go. */
  trackClients(delta: number): void;
  /** Called with the number of outbox entries the relay published. */
  countPublished(count: number): void;
  /** Called with what a reconciler pass republished. */
  countRepublished(counts: { readonly jobs: number; readonly messages: number }): void;
}

/** Where {@link createServiceMetrics} reads the outbox backlog at scrape time. */
export interface OutboxMetricsSource {
  /** Pending outbox entries now. */
  backlog(): Promise<number>;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const HTTP_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Creates the service metrics: jobs by state (read from the job store at scrape time), queue
 * latency (requested → started, from `job.started` events), processed bytes, finished jobs and
 * messages (from events), HTTP request durations, connected WebSocket clients, the outbox
 * backlog (read at scrape time), events the relay published, and jobs and messages the
 * reconciler republished, and worker processes by status with their active jobs and
 * concurrency (from the worker registry, at scrape time). Event-fed metrics count what this instance saw on the events topic,
 * which is every event.
 */
export function createServiceMetrics(
  jobs: JobStore,
  outbox?: OutboxMetricsSource,
  workers?: WorkerRegistry,
): ServiceMetrics {
  const registry = new Registry();
  const registers = [registry];
  let clients = 0;
  new Gauge({
    name: 'playtally_jobs',
    help: 'Jobs by status.',
    labelNames: ['status'],
    registers,
    async collect() {
      const counts = await jobs.countByStatus();
      for (const [status, n] of Object.entries(counts) as [JobStatus, number][])
        this.set({ status }, n);
    },
  });
  const queueLatency = new Histogram({
    name: 'playtally_job_queue_latency_seconds',
    help: 'Time from a job being requested to a worker first starting it.',
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const processedBytes = new Counter({
    name: 'playtally_processed_bytes_total',
    help: 'Bytes of CSV read by jobs that succeeded.',
    registers,
  });
  const finishedJobs = new Counter({
    name: 'playtally_jobs_finished_total',
    help: 'Jobs that reached a final status, by status.',
    labelNames: ['status'],
    registers,
  });
  const messages = new Counter({
    name: 'playtally_messages_total',
    help: 'Message events, by event type.',
    labelNames: ['type'],
    registers,
  });
  const httpDuration = new Histogram({
    name: 'playtally_http_request_duration_seconds',
    help: 'HTTP request durations by method, route and status.',
    labelNames: ['method', 'route', 'status'],
    buckets: HTTP_BUCKETS,
    registers,
  });
  new Gauge({
    name: 'playtally_websocket_clients',
    help: 'Connected event WebSocket clients.',
    registers,
    collect() {
      this.set(clients);
    },
  });

  if (outbox !== undefined) {
    new Gauge({
      name: 'playtally_outbox_backlog',
      help: 'Events committed to the outbox and not yet published.',
      registers,
      async collect() {
        this.set(await outbox.backlog());
      },
    });
  }
  if (workers !== undefined) {
    new Gauge({
      name: 'playtally_workers',
      help: 'Worker processes this instance knows, by status (alive, lost).',
      labelNames: ['status'],
      registers,
      collect() {
        const listed = workers.list();
        for (const status of ['alive', 'lost'] as const)
          this.set({ status }, listed.filter((worker) => worker.status === status).length);
      },
    });
    new Gauge({
      name: 'playtally_worker_active_jobs',
      help: 'Jobs running on alive workers (at risk on lost ones), by worker status.',
      labelNames: ['status'],
      registers,
      collect() {
        const listed = workers.list();
        for (const status of ['alive', 'lost'] as const)
          this.set(
            { status },
            listed
              .filter((worker) => worker.status === status)
              .reduce((sum, worker) => sum + worker.activeJobs.length, 0),
          );
      },
    });
    new Gauge({
      name: 'playtally_worker_concurrency',
      help: 'Jobs alive workers can run at once, together.',
      registers,
      collect() {
        this.set(
          workers
            .list()
            .filter((worker) => worker.status === 'alive')
            .reduce((sum, worker) => sum + worker.concurrency, 0),
        );
      },
    });
  }
  const published = new Counter({
    name: 'playtally_outbox_published_total',
    help: 'Outbox events this instance published to the broker.',
    registers,
  });
  const republished = new Counter({
    name: 'playtally_reconciler_republished_total',
    help: 'Jobs and messages the reconciler of this instance published again, by kind.',
    labelNames: ['kind'],
    registers,
  });
  republished.inc({ kind: 'job' }, 0);
  republished.inc({ kind: 'message' }, 0);

  return {
    registry,
    httpDuration,
    trackClients(delta) {
      clients += delta;
    },
    countPublished(count) {
      published.inc(count);
    },
    countRepublished(counts) {
      if (counts.jobs > 0) republished.inc({ kind: 'job' }, counts.jobs);
      if (counts.messages > 0) republished.inc({ kind: 'message' }, counts.messages);
    },
    follow(hub) {
      return hub.onEvent((event) => {
        if (isJobEvent(event)) {
          const { job } = event.data;
          if (event.type === 'job.started' && job.attempts === 1 && job.startedAt) {
            const seconds = (Date.parse(job.startedAt) - Date.parse(job.createdAt)) / 1000;
            if (Number.isFinite(seconds)) queueLatency.observe(Math.max(0, seconds));
          } else if (event.type === 'job.completed') {
            processedBytes.inc(job.statistics?.bytesRead ?? job.sizeBytes);
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
