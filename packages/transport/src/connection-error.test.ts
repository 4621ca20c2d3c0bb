import { describe, expect, it } from 'vitest';
import { describeConnectionError } from './connection-error.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('describeConnectionError', () => {
  it('says what a network failure means', () => {
    expect(
      describeConnectionError(withCode('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED')),
    ).toBe('connection refused (nothing listens there: is it running?)');
    expect(describeConnectionError(withCode('getaddrinfo ENOTFOUND nowhere', 'ENOTFOUND'))).toBe(
      'no such host',
    );
  });

  it('finds the cause in a chain and in an AggregateError', () => {
    const wrapped = new Error('migration failed', {
      cause: new AggregateError([withCode('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED')]),
    });
    expect(describeConnectionError(wrapped)).toMatch(/^connection refused/);
  });

  it('recognises a refused login', () => {
    expect(
      describeConnectionError(new Error('Handshake terminated by server: 403 (ACCESS-REFUSED)')),
    ).toBe('authentication refused (check the user name and password in the URL)');
    expect(describeConnectionError(new Error('WRONGPASS invalid username-password pair'))).toMatch(
      /^authentication refused/,
    );
  });

  it("falls back to the error's own message", () => {
    expect(describeConnectionError(new Error('something odd'))).toBe('something odd');
    expect(describeConnectionError('plain text')).toBe('plain text');
  });
});
