import type { IncomingMessage, Server } from 'node:http';
import type { Http2SecureServer, Http2Server } from 'node:http2';
import type { Duplex } from 'node:stream';
import { createApiKeyCheck } from './api-key.js';

type UpgradeListener = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;
type AnyServer = Server | Http2Server | Http2SecureServer;

/**
 * Wraps `inject` (the WebSocket library's hook on the server's `upgrade` event) so that an
 * upgrade without the API key is refused the way every other route refuses it: `401` with the
 * JSON error body and a `WWW-Authenticate` challenge. The library itself would answer such a
 * request with a bare status line and an empty body.
 */
export function refuseUnkeyedUpgrades(
  apiKey: string | undefined,
  inject: (server: AnyServer) => void,
): (server: AnyServer) => void {
  if (!apiKey) return inject;
  const check = createApiKeyCheck(apiKey);
  return (server) => {
    const guarded = {
      on(event: 'upgrade', listener: UpgradeListener) {
        server.on(event, (request: IncomingMessage, socket: Duplex, head: Buffer) => {
          const url = new URL(request.url ?? '/', 'http://localhost');
          const refusal = check({
            method: request.method ?? 'GET',
            header: (name) => {
              const value = request.headers[name.toLowerCase()];
              return Array.isArray(value) ? value[0] : value;
            },
            query: (name) => url.searchParams.get(name) ?? undefined,
          });
          if (refusal === undefined || !url.pathname.startsWith('/v1/')) {
            listener(request, socket, head);
            return;
          }
          const body = JSON.stringify({
            error: { code: 'UNAUTHORIZED', message: refusal.message, details: null },
          });
          socket.end(
            [
              'HTTP/1.1 401 Unauthorized',
              'Content-Type: application/json',
              `Content-Length: ${Buffer.byteLength(body)}`,
              `WWW-Authenticate: ${refusal.challenge}`,
              'Connection: close',
              '',
              body,
            ].join('\r\n'),
          );
        });
        return guarded;
      },
    };
    inject(guarded as unknown as AnyServer);
  };
}
