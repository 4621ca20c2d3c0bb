import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBucket, S3_CREDENTIALS, testS3Client } from './s3.js';

/** The S3Proxy jar `scripts/s3/start.sh` fetched, or `undefined` when it has not run yet. */
export function s3ProxyJar(): string | undefined {
  const libs = join(
    process.env.S3PROXY_HOME_CACHE ?? join(homedir(), '.cache', 'playtally-s3'),
    'libs',
  );
  if (!existsSync(libs)) return undefined;
  const jar = readdirSync(libs).find((name) =>
    /^s3proxy-.*-jar-with-dependencies\.jar$/.test(name),
  );
  return jar === undefined ? undefined : join(libs, jar);
}

/** A TCP port nothing listens on right now. */
async function sparePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null ? resolve(address.port) : reject(),
      );
    });
  });
}

/**
 * An S3Proxy of a test's own (never the shared one), on a spare port with its own data
 * directory and the test credentials, so it can be killed and started again mid-test.
 */
export class PrivateS3Proxy {
  private readonly dir = mkdtempSync(join(tmpdir(), 'playtally-s3proxy-'));
  private process: ChildProcess | undefined;
  private port = 0;

  constructor(private readonly jar: string) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts the server (on the same port and data as before, after a kill) and waits for it. */
  async start(bucket?: string): Promise<void> {
    if (this.port === 0) this.port = await sparePort();
    const conf = join(this.dir, 's3proxy.conf');
    mkdirSync(join(this.dir, 'data'), { recursive: true });
    writeFileSync(
      conf,
      [
        `s3proxy.endpoint=${this.endpoint}`,
        's3proxy.authorization=aws-v2-or-v4',
        `s3proxy.identity=${S3_CREDENTIALS.accessKeyId}`,
        `s3proxy.credential=${S3_CREDENTIALS.secretAccessKey}`,
        'jclouds.provider=filesystem',
        `jclouds.filesystem.basedir=${join(this.dir, 'data')}`,
        'jclouds.identity=unused',
        'jclouds.credential=unused',
        '',
      ].join('\n'),
    );
    this.process = spawn('java', ['-Xmx256m', '-jar', this.jar, '--properties', conf], {
      stdio: 'ignore',
    });
    const client = testS3Client(this.endpoint);
    const deadline = Date.now() + 60_000;
    try {
      for (;;) {
        try {
          await ensureBucket(client, bucket ?? 'private');
          return;
        } catch (error) {
          if (Date.now() > deadline || this.process.exitCode !== null) throw error;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
    } finally {
      client.destroy();
    }
  }

  /** Kills the server (SIGKILL: no clean shutdown) and waits until it is gone. */
  async kill(): Promise<void> {
    const running = this.process;
    this.process = undefined;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  }

  /** Stops the server for good and removes its data. */
  async destroy(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
