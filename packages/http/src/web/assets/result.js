// The result view of a succeeded job: its first rows, a server-side search by song drawn as
// plays per day (uPlot, served from this server), and the top 10 songs by total plays.

import { apiUrl, downloadWithKey, getApiKey } from './api.js';
import { byId, formatCount, h } from './dom.js';
import uPlot from './vendor/uPlot.esm.js';

const FIRST_ROWS = 20;

/**
 * Splits result CSV text into rows `[song, date, total]` (the header dropped). Only the song
 * can be quoted.
 * @param {string} text
 * @returns {Array<[string, string, number]>}
 */
export function parseResultRows(text) {
  /** @type {Array<[string, string, number]>} */
  const rows = [];
  let at = text.indexOf('\n') + 1;
  while (at > 0 && at < text.length) {
    let song;
    let next;
    if (text[at] === '"') {
      let i = at + 1;
      song = '';
      for (;;) {
        const quote = text.indexOf('"', i);
        if (quote === -1) return rows;
        song += text.slice(i, quote);
        if (text[quote + 1] === '"') {
          song += '"';
          i = quote + 2;
        } else {
          next = quote + 2;
          break;
        }
      }
    } else {
      const comma = text.indexOf(',', at);
      if (comma === -1) return rows;
      song = text.slice(at, comma);
      next = comma + 1;
    }
    const end = text.indexOf('\n', next);
    const [date = '', total = '0'] = text.slice(next, end === -1 ? undefined : end).split(',');
    rows.push([song, date, Number(total)]);
    at = end === -1 ? text.length : end + 1;
  }
  return rows;
}

/** @param {string} path */
async function fetchText(path) {
  const key = getApiKey();
  const response = await fetch(apiUrl(path), { headers: key ? { 'X-API-Key': key } : {} });
  if (!response.ok) throw new Error(`the server answered ${response.status}`);
  return response.text();
}

/** Wires the result view (a dialog). */
export function createResultView() {
  const dialog = /** @type {HTMLDialogElement} */ (byId('result-view'));
  const title = byId('result-title');
  const firstBody = byId('result-first-body');
  const topList = byId('result-top');
  const form = /** @type {HTMLFormElement} */ (byId('result-search'));
  const songInput = /** @type {HTMLInputElement} */ (byId('result-song'));
  const chartBox = byId('result-chart');
  const chartNote = byId('result-chart-note');
  const errorBox = byId('result-error');
  /** @type {string | undefined} */
  let jobId;
  /** @type {uPlot | undefined} */
  let chart;

  /** @param {Array<[string, string, number]>} rows */
  function renderFirst(rows) {
    firstBody.replaceChildren(
      ...rows
        .slice(0, FIRST_ROWS)
        .map(([song, date, total]) =>
          h(
            'tr',
            {},
            h('td', {}, song),
            h('td', {}, date),
            h('td', { class: 'num' }, formatCount(total)),
          ),
        ),
    );
  }

  /** @param {Array<[string, string, number]>} rows */
  function renderTop(rows) {
    /** @type {Map<string, number>} */
    const totals = new Map();
    for (const [song, , total] of rows) totals.set(song, (totals.get(song) ?? 0) + total);
    const top = [...totals].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 10);
    topList.replaceChildren(
      ...top.map(([song, total]) =>
        h(
          'li',
          {},
          h(
            'button',
            {
              type: 'button',
              class: 'link',
              onclick: () => {
                songInput.value = song;
                void search(song);
              },
            },
            song,
          ),
          ` ${formatCount(total)} plays`,
        ),
      ),
    );
  }

  /** @param {string} song */
  async function search(song) {
    if (!jobId || !song.trim()) return;
    errorBox.textContent = '';
    try {
      const rows = parseResultRows(
        await fetchText(
          `v1/jobs/${encodeURIComponent(jobId)}/result?song=${encodeURIComponent(song)}`,
        ),
      );
      chart?.destroy();
      chart = undefined;
      if (rows.length === 0) {
        chartNote.textContent = `No plays of “${song}” in this result.`;
        return;
      }
      const days = rows.map(([, date]) => Date.parse(`${date}T00:00:00Z`) / 1000);
      const plays = rows.map(([, , total]) => total);
      chartNote.textContent = `${rows[0]?.[0]}: ${formatCount(plays.reduce((a, b) => a + b, 0))} plays over ${rows.length} day(s).`;
      chart = new uPlot(
        {
          width: Math.max(280, Math.min(720, chartBox.clientWidth || 320)),
          height: 220,
          scales: { x: { time: true } },
          series: [{}, { label: 'Plays', stroke: '#2456c9', width: 2, points: { show: true } }],
          axes: [{}, { label: 'Plays per day' }],
        },
        [days, plays],
        chartBox,
      );
      // The chart itself, for anyone (and any test) who cannot see the canvas: its data is
      // uPlot's own (`plot.data`), not a copy.
      Object.defineProperty(chartBox, 'plot', { value: chart, configurable: true });
      chartBox.dataset.song = rows[0]?.[0] ?? '';
    } catch (error) {
      errorBox.textContent = `Search failed: ${error instanceof Error ? error.message : error}`;
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void search(songInput.value);
  });
  byId('result-close').addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => {
    chart?.destroy();
    chart = undefined;
  });
  byId('result-download').addEventListener('click', () => {
    if (jobId)
      void downloadWithKey(apiUrl(`v1/jobs/${encodeURIComponent(jobId)}/result`), 'result.csv');
  });

  /**
   * Opens the view on a succeeded job.
   * @param {{ id: string, filename?: string }} job
   */
  async function open(job) {
    jobId = job.id;
    title.textContent = `Result of ${job.filename ?? job.id}`;
    firstBody.replaceChildren();
    topList.replaceChildren();
    chartNote.textContent = 'Search a song to see its plays per day.';
    delete chartBox.dataset.song;
    chart?.destroy();
    chart = undefined;
    errorBox.textContent = '';
    dialog.showModal();
    songInput.focus();
    try {
      const rows = parseResultRows(await fetchText(`v1/jobs/${encodeURIComponent(job.id)}/result`));
      renderFirst(rows);
      renderTop(rows);
    } catch (error) {
      errorBox.textContent = `Could not read the result: ${error instanceof Error ? error.message : error}`;
    }
  }

  return { open };
}
