import { ServerClient } from './server-client.js';

/** The options every command that talks to a server takes, for `parseArgs`. */
export const SERVER_OPTIONS = {
  server: { type: 'string' },
  'api-key': { type: 'string' },
} as const;

/** Their lines in a command's usage text. */
export const SERVER_USAGE = `      --server <url>          the playtally server (default: $PLAYTALLY_SERVER,
                              or http://localhost:3000)
      --api-key <key>         the server's API key (default: $PLAYTALLY_API_KEY)`;

/** A client for the server the options (or the environment) name. */
export function serverClient(values: {
  server?: string | undefined;
  'api-key'?: string | undefined;
}): ServerClient {
  return new ServerClient({
    server: values.server ?? process.env.PLAYTALLY_SERVER ?? 'http://localhost:3000',
    apiKey: values['api-key'] ?? process.env.PLAYTALLY_API_KEY,
  });
}
