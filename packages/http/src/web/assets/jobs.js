// The jobs table: loads the list, merges live events into it and renders one row per job,
// newest first. Rows are updated in place so a focused button keeps its focus.

import { ApiError, apiJson, downloadWithKey, hasApiKey } from './api.js';
import {
  breakableName,
  byId,
  formatBytes,
  formatCount,
  formatCounted,
  formatDuration,
  formatTime,
  h,
} from './dom.js';
import { createPagedList } from './paged-list.js';

const FINAL = new Set(['succeeded', 'failed', 'cancelled', 'expired']);

/**
 * @typedef {{ bytesRead: number, totalBytes: number, rowsRead: number }} JobProgress
 * @typedef {{
 *   id: string, status: string, filename?: string, sizeBytes?: number,
 *   progress?: JobProgress, attempts?: number,
 *   error?: { code: string, message: string } | null,
 *   statistics?: { rowsRead?: number, rowsRejected?: number, groupsWritten?: number, durationMs?: number } | null,
 *   parts?: { total: number, done: number, running: number } | null,
 *   createdAt?: string, updatedAt?: string, startedAt?: string | null, finishedAt?: string | null,
 *   links?: Record<string, string>,
 * }} Job
 */

/** @param {unknown} value @returns {value is Job} */
function isJob(value) {
  return (
    !!value &&
    typeof value === 'object' &&
    typeof (/** @type {Job} */ (value).id) === 'string' &&
    typeof (/** @type {Job} */ (value).status) === 'string'
  );
}

/**
 * Combines what the page knew of a job with newer news of it. Events and list answers can
 * arrive out of order, so a final state is never replaced by an older, unfinished one, and
 * progress never goes backwards while the job runs.
 * @param {Job | undefined} old
 * @param {Job} next
 * @returns {Job}
 */
function mergeJob(old, next) {
  if (!old) return next;
  if (FINAL.has(old.status) && !FINAL.has(next.status)) return old;
  const merged = { ...old, ...next };
  if (!FINAL.has(next.status) && old.progress && next.progress) {
    if (old.progress.bytesRead > next.progress.bytesRead) merged.progress = old.progress;
  }
  if (!FINAL.has(next.status) && old.parts && next.parts && old.parts.done > next.parts.done) {
    merged.parts = old.parts;
  }
  if (old.status === 'processing' && next.status === 'queued') merged.status = 'processing';
  return merged;
}

/** @param {Job} job */
function fractionDone(job) {
  if (job.status === 'succeeded') return 1;
  const progress = job.progress;
  const total = progress?.totalBytes || job.sizeBytes;
  if (!progress || !total) return 0;
  return Math.max(0, Math.min(1, progress.bytesRead / total));
}

/**
 * How far the parts of a split job are: `3 of 8 parts done, 2 running`; null when unsplit.
 * @param {Job} job
 */
function partsNote(job) {
  const parts = job.parts;
  if (!parts) return null;
  const running = parts.running > 0 && !FINAL.has(job.status) ? `, ${parts.running} running` : '';
  return h('small', { class: 'parts' }, `${parts.done} of ${parts.total} parts done${running}`);
}

/** @param {Job} job */
function durationOf(job) {
  if (typeof job.statistics?.durationMs === 'number') return job.statistics.durationMs;
  if (!job.startedAt) return null;
  const end = job.finishedAt ? Date.parse(job.finishedAt) : Date.now();
  return end - Date.parse(job.startedAt);
}

/**
 * Relative to the page, like every other URL it uses (the API's own `links` are absolute paths,
 * which would miss a path prefix the app is mounted under).
 * @param {Job} job
 */
function resultHref(job) {
  return `v1/jobs/${encodeURIComponent(job.id)}/result`;
}

/** @param {string} filename */
function resultFilename(filename) {
  const base = filename.replace(/\.csv$/i, '') || 'result';
  return `${base}-totals.csv`;
}

/**
 * Wires the jobs table of the page.
 * @param {{ onUnexpectedError?: (error: unknown) => void, onViewResult?: (job: Job) => void }} [options]
 */
export function createJobsTable(options = {}) {
  const body = byId('jobs-body');
  const empty = byId('jobs-empty');
  const errorBox = byId('jobs-error');
  const more = /** @type {HTMLButtonElement} */ (byId('jobs-more'));
  /** @type {Map<string, Job>} */
  const jobs = new Map();
  /** @type {Map<string, HTMLTableRowElement>} */
  const rows = new Map();
  /** @type {Set<string>} */
  const fetching = new Set();

  /** @param {unknown} error */
  function showError(error) {
    // A missing key is explained once, by the API key panel.
    if (error instanceof ApiError && error.status === 401) return;
    errorBox.textContent = error instanceof Error ? error.message : String(error);
    options.onUnexpectedError?.(error);
  }

  /** @param {Job} job */
  async function cancel(job) {
    errorBox.textContent = '';
    try {
      const answer = await apiJson(`v1/jobs/${encodeURIComponent(job.id)}`, { method: 'DELETE' });
      if (isJob(answer)) upsert(answer);
      else await refreshOne(job.id);
    } catch (error) {
      showError(error);
    }
  }

  /** @param {Job} job @returns {HTMLTableRowElement} */
  function renderRow(job) {
    const name = job.filename || job.id;
    const fraction = fractionDone(job);
    const rowsRead = job.statistics?.rowsRead ?? job.progress?.rowsRead;
    const rejected = job.statistics?.rowsRejected ?? 0;
    /** @type {unknown[]} */
    const actions = [];
    if (job.status === 'succeeded') {
      const href = resultHref(job);
      actions.push(
        h(
          'a',
          {
            class: 'button small',
            href,
            download: resultFilename(name),
            'aria-label': `Download result of ${name}`,
            'data-action': 'download',
            onclick: (/** @type {MouseEvent} */ event) => {
              if (!hasApiKey()) return; // a plain link does it
              event.preventDefault();
              downloadWithKey(href, resultFilename(name)).catch(showError);
            },
          },
          'Download',
        ),
      );
      const view = options.onViewResult;
      if (view) {
        actions.push(
          ' ',
          h(
            'button',
            {
              type: 'button',
              class: 'small secondary',
              'aria-label': `View result of ${name}`,
              onclick: () => view(job),
            },
            'View',
          ),
        );
      }
    } else if (!FINAL.has(job.status)) {
      actions.push(
        h(
          'button',
          {
            type: 'button',
            class: 'small danger',
            'aria-label': `Cancel ${name}`,
            'data-action': 'cancel',
            onclick: () => cancel(job),
          },
          'Cancel',
        ),
      );
    }
    return /** @type {HTMLTableRowElement} */ (
      h(
        'tr',
        { 'data-job-id': job.id, 'data-status': job.status },
        h(
          'td',
          { 'data-label': 'File', class: 'file' },
          h('span', { class: 'filename' }, breakableName(name)),
          typeof job.sizeBytes === 'number' ? h('small', {}, formatBytes(job.sizeBytes)) : null,
        ),
        h(
          'td',
          { 'data-label': 'State' },
          h('span', { class: `badge state-${job.status}` }, job.status),
          job.status === 'failed' && job.error
            ? h('p', { class: 'job-error' }, job.error.message)
            : null,
          rejected > 0
            ? h('p', { class: 'note' }, `${formatCounted(rejected, 'row')} skipped`)
            : null,
        ),
        h(
          'td',
          { 'data-label': 'Progress', class: 'progress-cell' },
          h('progress', { max: 1, value: fraction, 'aria-label': `Progress of ${name}` }),
          h('span', { class: 'percent' }, `${Math.floor(fraction * 100)}%`),
          partsNote(job),
        ),
        h('td', { 'data-label': 'Rows', class: 'num' }, formatCount(rowsRead)),
        h(
          'td',
          { 'data-label': 'Groups', class: 'num' },
          formatCount(job.statistics?.groupsWritten),
        ),
        h('td', { 'data-label': 'Duration', class: 'num' }, formatDuration(durationOf(job))),
        h(
          'td',
          { 'data-label': 'Created' },
          h('time', { datetime: job.createdAt ?? '' }, formatTime(job.createdAt)),
        ),
        h('td', { class: 'actions' }, actions),
      )
    );
  }

  /** Puts the rows in newest-first order; only called when a job is added. */
  function reorder() {
    const sorted = [...jobs.values()].sort(
      (a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? '') || b.id.localeCompare(a.id),
    );
    sorted.forEach((job, index) => {
      const row = rows.get(job.id);
      if (row && body.children[index] !== row) body.insertBefore(row, body.children[index] ?? null);
    });
  }

  /** @param {Job} job */
  function draw(job) {
    const row = renderRow(job);
    const old = rows.get(job.id);
    rows.set(job.id, row);
    if (old) {
      const focused = old.contains(document.activeElement)
        ? document.activeElement?.getAttribute('data-action')
        : null;
      old.replaceWith(row);
      if (focused)
        /** @type {HTMLElement | null} */ (
          row.querySelector(`[data-action="${focused}"]`)
        )?.focus();
    } else {
      body.appendChild(row);
      reorder();
    }
    empty.hidden = jobs.size > 0;
  }

  /** @param {Job} job */
  function upsert(job) {
    const merged = mergeJob(jobs.get(job.id), job);
    jobs.set(job.id, merged);
    draw(merged);
  }

  /** @param {string} id */
  async function refreshOne(id) {
    if (fetching.has(id)) return;
    fetching.add(id);
    try {
      const job = await apiJson(`v1/jobs/${encodeURIComponent(id)}`);
      if (isJob(job)) upsert(job);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) showError(error);
    } finally {
      fetching.delete(id);
    }
  }

  const list = createPagedList({
    path: 'v1/jobs',
    more,
    accept: (job) => {
      if (isJob(job)) upsert(job);
    },
    errorBox,
    showError,
    empty: {
      element: empty,
      text: 'No jobs yet. Upload a CSV to start one.',
      count: () => jobs.size,
    },
  });

  /**
   * Applies a `job.*` event: a job payload is merged; a progress payload moves the bar of the
   * job it names (and fetches the job when the page has not seen it yet).
   * @param {{ type: string, data: unknown }} event
   */
  function handleEvent(event) {
    const data = /** @type {Record<string, unknown>} */ (event.data ?? {});
    const job = isJob(data.job) ? data.job : isJob(data) ? data : null;
    if (job) {
      upsert(job);
      return;
    }
    const id =
      typeof data.jobId === 'string' ? data.jobId : typeof data.id === 'string' ? data.id : null;
    if (!id) return;
    const known = jobs.get(id);
    const progress = /** @type {JobProgress | undefined} */ (
      data.progress && typeof data.progress === 'object'
        ? data.progress
        : 'bytesRead' in data
          ? data
          : undefined
    );
    if (event.type === 'job.progress' && known && progress) {
      if (FINAL.has(known.status)) return;
      upsert({ ...known, status: 'processing', progress: { ...known.progress, ...progress } });
    } else {
      refreshOne(id);
    }
  }

  return { reload: list.reload, upsert, refreshOne, handleEvent };
}
