// One upload → result round trip through the running system, timed.

import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { request } from 'node:http';
import { pipeline } from 'node:stream/promises';
import WebSocket from 'ws';

/** sha256 and size of a file. */
export async function fileDigest(path) {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return { sha256: hash.digest('hex'), size: (await stat(path)).size };
}

/** Streams the file as a raw text/csv body to POST /v1/jobs; resolves with the 202 answer. */
function upload(baseUrl, input, size) {
  return new Promise((resolve, reject) => {
    const req = request(
      `${baseUrl}/v1/jobs?filename=bench.csv`,
      {
        method: 'POST',
        headers: {
          'Content-Type': 'text/csv',
          'Content-Length': String(size),
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => {
          if (res.statusCode !== 202) {
            reject(new Error(`upload answered ${res.statusCode}: ${body.slice(0, 500)}`));
          } else {
            resolve(JSON.parse(body));
          }
        });
      },
    );
    req.on('error', reject);
    createReadStream(input).on('error', reject).pipe(req);
  });
}

/** Opens the events socket and resolves once it is open. */
function openEvents(baseUrl) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/v1/events`);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/**
 * Resolves with the finished job: on its job.completed/failed/cancelled event, or, should an
 * event be missed, on a GET every second.
 */
function waitFinished(baseUrl, ws, id) {
  return new Promise((resolve, reject) => {
    const done = (job) => {
      clearInterval(poll);
      ws.off('message', onMessage);
      if (job.status === 'succeeded') resolve(job);
      else reject(new Error(`job ${id} ended ${job.status}: ${JSON.stringify(job.error)}`));
    };
    const onMessage = (raw) => {
      const event = JSON.parse(String(raw));
      if (!/^job\.(completed|failed|cancelled)$/.test(event.type)) return;
      const job = event.data?.job ?? event.data;
      if ((job?.id ?? event.data?.jobId) === id) {
        if (job?.status) done(job);
        else fetchJob(baseUrl, id).then(done, reject);
      }
    };
    ws.on('message', onMessage);
    const poll = setInterval(() => {
      fetchJob(baseUrl, id).then((job) => {
        if (['succeeded', 'failed', 'cancelled'].includes(job.status)) done(job);
      }, reject);
    }, 1000);
  });
}

async function fetchJob(baseUrl, id) {
  const response = await fetch(`${baseUrl}/v1/jobs/${id}`);
  if (!response.ok) throw new Error(`GET /v1/jobs/${id} answered ${response.status}`);
  return response.json();
}

/** Streams GET /v1/jobs/:id/result into a file. */
async function download(baseUrl, id, output) {
  const response = await fetch(`${baseUrl}/v1/jobs/${id}/result`);
  if (!response.ok || !response.body) {
    throw new Error(`GET /v1/jobs/${id}/result answered ${response.status}`);
  }
  await pipeline(response.body, createWriteStream(output));
}

/**
 * Uploads `input`, waits for the job to succeed and downloads its result to `output`.
 * Returns the total time and its parts, and the result's digest.
 */
export async function runJob(baseUrl, input, output) {
  const { size } = await stat(input);
  const ws = await openEvents(baseUrl);
  try {
    const started = performance.now();
    const accepted = await upload(baseUrl, input, size);
    const uploaded = performance.now();
    const job = await waitFinished(baseUrl, ws, accepted.id);
    const finished = performance.now();
    await download(baseUrl, accepted.id, output);
    const downloaded = performance.now();
    return {
      ms: downloaded - started,
      uploadMs: uploaded - started,
      jobMs: finished - uploaded,
      downloadMs: downloaded - finished,
      /** The engine's own time inside the worker. */
      engineMs: job.statistics?.durationMs ?? Number.NaN,
      digest: await fileDigest(output),
    };
  } finally {
    ws.close();
  }
}
