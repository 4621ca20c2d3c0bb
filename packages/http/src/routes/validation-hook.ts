import type { Hook } from '@hono/zod-openapi';
import type { Env } from 'hono';
import { errorBody } from '../middleware/errors.js';

/**
 * Answers a request whose path or query fails its zod schema with 400 `VALIDATION_FAILED`,
 * listing zod's issues, in the API's error shape.
 */
// biome-ignore lint/suspicious/noExplicitAny: the hook applies to every route's input type
export const validationHook: Hook<any, Env, any, any> = (result, c) => {
  if (result.success) return;
  const issues = result.error.issues.map((issue) => ({
    path: issue.path.map(String),
    message: issue.message,
    code: issue.code,
  }));
  const summary = issues
    .slice(0, 3)
    .map((issue) => {
      const at = issue.path.join('.');
      // "limit must be …" reads as a sentence; other messages follow their field's name.
      if (!at) return issue.message;
      return issue.message.startsWith('must ')
        ? `${at} ${issue.message}`
        : `${at}: ${issue.message}`;
    })
    .join('; ');
  return errorBody(c, 400, 'VALIDATION_FAILED', `invalid ${result.target}: ${summary}`, {
    target: result.target,
    issues,
  });
};
