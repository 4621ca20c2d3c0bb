import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const composeRoot = fileURLToPath(new URL('../../compose/', import.meta.url));

/** What a compose stack runs for one playtally service. */
export interface ComposeService {
  /** The server mode the container runs (`api`, `worker`). */
  readonly mode: 'all' | 'api' | 'worker';
  /** Its environment, interpolated with the stack's `.env.example`. */
  readonly environment: Record<string, string>;
}

/**
 * Reads `examples/compose/<stack>/docker-compose.yml` and returns the mode and environment it
 * gives `service`, so the native smoke tests run the very commands and settings the containers
 * would (only the URLs of the broker, the database and the blob directory are pointed at this
 * machine by the caller).
 */
export async function readComposeService(stack: string, service: string): Promise<ComposeService> {
  const dir = `${composeRoot}${stack}/`;
  const defaults = parseDotEnv(await readFile(`${dir}.env.example`, 'utf8'));
  const document = parse(await readFile(`${dir}docker-compose.yml`, 'utf8'), { merge: true }) as {
    services: Record<string, { command?: string[]; environment?: Record<string, string> }>;
  };
  const entry = document.services[service];
  if (entry === undefined) throw new Error(`${stack} stack has no service "${service}"`);
  const mode = entry.command?.[0];
  if (mode !== 'all' && mode !== 'api' && mode !== 'worker') {
    throw new Error(`${stack}/${service} runs an unknown mode: ${String(mode)}`);
  }
  const environment = Object.fromEntries(
    Object.entries(entry.environment ?? {}).map(([name, value]) => [
      name,
      interpolate(String(value), defaults),
    ]),
  );
  return { mode, environment };
}

function parseDotEnv(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (match?.[1] !== undefined) values[match[1]] = match[2] ?? '';
  }
  return values;
}

/** Compose's `${NAME}` and `${NAME:-default}` against the `.env` values. */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(
    /\$\{([A-Z_][A-Z0-9_]*)(?::-([^}]*))?\}/g,
    (_all, name: string, fallback?: string) => {
      const set = env[name];
      return set !== undefined && set !== '' ? set : (fallback ?? '');
    },
  );
}
