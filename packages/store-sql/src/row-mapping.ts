import {
  type Job,
  type JobPart,
  type JobPartPatch,
  type JobPartStatus,
  type JobPatch,
  type JobStatus,
  type NewJob,
  type NewJobPart,
  type NewMessage,
  normalizeTimestamp,
  type StoredMessage,
} from '@playtally/service';
import type { Insertable, Selectable, Updateable } from 'kysely';
import type { JobPartsTable, JobsTable, MessagesTable } from './database.js';

/** A `jobs` row as the domain's {@link Job}. */
export function jobFromRow(row: Selectable<JobsTable>): Job {
  return {
    id: row.id,
    status: row.status as JobStatus,
    filename: row.filename,
    inputKey: row.input_key,
    resultKey: row.result_key,
    sizeBytes: Number(row.size_bytes),
    onInvalid: row.on_invalid as Job['onInvalid'],
    progress: JSON.parse(row.progress) as Job['progress'],
    attempts: Number(row.attempts),
    error: row.error === null ? null : (JSON.parse(row.error) as Job['error']),
    statistics: row.statistics === null ? null : (JSON.parse(row.statistics) as Job['statistics']),
    parts: row.parts === null ? null : (JSON.parse(row.parts) as Job['parts']),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

/** The row of a freshly created job: queued, zero progress, stamped `at`. */
export function newJobRow(job: NewJob, at: string): Insertable<JobsTable> {
  return {
    id: job.id,
    status: 'queued',
    filename: job.filename,
    input_key: job.inputKey,
    result_key: null,
    size_bytes: job.sizeBytes,
    on_invalid: job.onInvalid,
    progress: JSON.stringify({ bytesRead: 0, totalBytes: job.sizeBytes, rowsRead: 0 }),
    attempts: 0,
    error: null,
    statistics: null,
    created_at: at,
    updated_at: at,
    started_at: null,
    finished_at: null,
    parts:
      job.parts === undefined || job.parts.length === 0
        ? null
        : JSON.stringify({ total: job.parts.length, done: 0, running: 0 }),
  };
}

/** A `job_parts` row as the domain's {@link JobPart}. */
export function jobPartFromRow(row: Selectable<JobPartsTable>): JobPart {
  return {
    jobId: row.job_id,
    index: Number(row.part_index),
    start: Number(row.start_offset),
    end: Number(row.end_offset),
    line: Number(row.line),
    status: row.status as JobPartStatus,
    bytesRead: Number(row.bytes_read),
    rowsRead: Number(row.rows_read),
    runKey: row.run_key,
    statistics:
      row.statistics === null ? null : (JSON.parse(row.statistics) as JobPart['statistics']),
    error: row.error === null ? null : (JSON.parse(row.error) as JobPart['error']),
    updatedAt: row.updated_at,
  };
}

/** The row of a freshly created part: queued, nothing read. */
export function newJobPartRow(
  jobId: string,
  index: number,
  range: NewJobPart,
  at: string,
): Insertable<JobPartsTable> {
  return {
    job_id: jobId,
    part_index: index,
    start_offset: range.start,
    end_offset: range.end,
    line: range.line,
    status: 'queued',
    bytes_read: 0,
    rows_read: 0,
    run_key: null,
    statistics: null,
    error: null,
    updated_at: at,
  };
}

/** The columns a {@link JobPartPatch} sets. */
export function partPatchRow(patch: JobPartPatch, updatedAt: string): Updateable<JobPartsTable> {
  const row: Updateable<JobPartsTable> = { updated_at: updatedAt };
  if (patch.status !== undefined) row.status = patch.status;
  if (patch.bytesRead !== undefined) row.bytes_read = patch.bytesRead;
  if (patch.rowsRead !== undefined) row.rows_read = patch.rowsRead;
  if (patch.runKey !== undefined) row.run_key = patch.runKey;
  if (patch.statistics !== undefined) row.statistics = json(patch.statistics);
  if (patch.error !== undefined) row.error = json(patch.error);
  return row;
}

const json = (value: unknown): string | null => (value === null ? null : JSON.stringify(value));
const time = (value: string | null, field: string): string | null =>
  value === null ? null : normalizeTimestamp(value, field);

/** The columns a {@link JobPatch} sets; fields absent or `undefined` are left alone. */
export function patchRow(patch: JobPatch, updatedAt: string): Updateable<JobsTable> {
  const row: Updateable<JobsTable> = { updated_at: updatedAt };
  if (patch.status !== undefined) row.status = patch.status;
  if (patch.resultKey !== undefined) row.result_key = patch.resultKey;
  if (patch.progress !== undefined) row.progress = JSON.stringify(patch.progress);
  if (patch.attempts !== undefined) row.attempts = patch.attempts;
  if (patch.error !== undefined) row.error = json(patch.error);
  if (patch.statistics !== undefined) row.statistics = json(patch.statistics);
  if (patch.startedAt !== undefined) row.started_at = time(patch.startedAt, 'startedAt');
  if (patch.finishedAt !== undefined) row.finished_at = time(patch.finishedAt, 'finishedAt');
  return row;
}

/** A `messages` row as the domain's {@link StoredMessage}. */
export function messageFromRow(row: Selectable<MessagesTable>): StoredMessage {
  return {
    id: row.id,
    type: row.type,
    source: row.source,
    data: JSON.parse(row.data) as StoredMessage['data'],
    status: row.status as StoredMessage['status'],
    receivedAt: row.received_at,
    consumedAt: row.consumed_at,
  };
}

/** The row of a message as received, or as consumed at `consumedAt`. */
export function messageRow(
  message: NewMessage,
  consumedAt: string | null,
): Insertable<MessagesTable> {
  return {
    id: message.id,
    type: message.type,
    source: message.source,
    data: JSON.stringify(message.data),
    status: consumedAt === null ? 'received' : 'consumed',
    received_at: normalizeTimestamp(message.receivedAt, 'receivedAt'),
    consumed_at: consumedAt,
  };
}
