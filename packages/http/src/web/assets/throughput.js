// The throughput chart of the System panel: jobs finished per minute and messages consumed per
// second over the last 15 minutes, one point a minute, drawn with uPlot. It starts from the
// newest jobs and messages the API lists and then counts the events the WebSocket brings; each
// job or message counts once, however it was seen.

import { apiJson } from './api.js';
import { byId } from './dom.js';
import uPlot from './vendor/uPlot.esm.js';

const MINUTES = 15;
const MINUTE_MS = 60_000;

/** Wires the throughput chart. */
export function createThroughputChart() {
  const box = byId('throughput-chart');
  /** @type {Map<string, number>} finished job id -> minute */
  const jobs = new Map();
  /** @type {Map<string, number>} consumed message id -> minute */
  const messages = new Map();
  /** @type {uPlot | undefined} */
  let chart;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let pending;

  /** @param {string | null | undefined} iso */
  const minuteOf = (iso) => (iso ? Math.floor(Date.parse(iso) / MINUTE_MS) : Number.NaN);

  /** The chart's data: minutes (seconds since the epoch), jobs per minute, messages per second. */
  function series() {
    const now = Math.floor(Date.now() / MINUTE_MS);
    const minutes = Array.from({ length: MINUTES }, (_, i) => now - MINUTES + 1 + i);
    const count = (/** @type {Map<string, number>} */ seen, /** @type {number} */ minute) => {
      let n = 0;
      for (const at of seen.values()) if (at === minute) n += 1;
      return n;
    };
    return [
      minutes.map((minute) => minute * 60),
      minutes.map((minute) => count(jobs, minute)),
      minutes.map((minute) => count(messages, minute) / 60),
    ];
  }

  function draw() {
    pending = undefined;
    const data = series();
    if (chart) {
      chart.setData(data);
      return;
    }
    chart = new uPlot(
      {
        width: Math.max(280, Math.min(900, box.clientWidth || 320)),
        height: 180,
        scales: { x: { time: true }, jobs: { auto: true }, messages: { auto: true } },
        series: [
          {},
          { label: 'Jobs per minute', scale: 'jobs', stroke: '#2456c9', width: 2 },
          { label: 'Messages per second', scale: 'messages', stroke: '#1b7f3b', width: 2 },
        ],
        axes: [
          {},
          { scale: 'jobs', label: 'jobs/min' },
          { scale: 'messages', side: 1, label: 'msg/s', grid: { show: false } },
        ],
      },
      data,
      box,
    );
    // The chart itself, for anyone (and any test) who cannot see the canvas.
    Object.defineProperty(box, 'plot', { value: chart, configurable: true });
  }

  function schedule() {
    if (pending === undefined) pending = setTimeout(draw, 250);
  }

  /** @param {{ id?: unknown, status?: unknown, finishedAt?: unknown }} job */
  function countJob(job) {
    if (typeof job.id !== 'string' || typeof job.finishedAt !== 'string') return;
    if (job.status === 'succeeded' || job.status === 'failed')
      jobs.set(job.id, minuteOf(job.finishedAt));
  }

  /** @param {{ id?: unknown, status?: unknown, consumedAt?: unknown }} message */
  function countMessage(message) {
    if (typeof message.id !== 'string' || typeof message.consumedAt !== 'string') return;
    if (message.status === 'consumed') messages.set(message.id, minuteOf(message.consumedAt));
  }

  async function reload() {
    try {
      const [jobPage, messagePage] = await Promise.all([
        apiJson('v1/jobs?limit=500'),
        apiJson('v1/messages?limit=500'),
      ]);
      for (const job of jobPage.items) countJob(job);
      for (const message of messagePage.items) countMessage(message);
    } catch {
      // The lists show their own errors; the chart draws what it has.
    }
    schedule();
  }

  /** @param {{ type: string, data: unknown }} event */
  function handleEvent(event) {
    const data = /** @type {Record<string, any>} */ (event.data ?? {});
    if ((event.type === 'job.completed' || event.type === 'job.failed') && data.job) {
      countJob(data.job);
      schedule();
    } else if (event.type === 'message.consumed' && data.message) {
      countMessage(data.message);
      schedule();
    }
  }

  // The window moves on even when nothing happens.
  setInterval(schedule, 15_000);
  return { reload, handleEvent };
}
