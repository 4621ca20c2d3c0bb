import { ExitCode } from './cli-command.js';
import { runCli } from './run-cli.js';

// The `playtally` executable. The first Ctrl-C asks the running command to stop and clean up
// (spill files, partial output); a second one exits at once. Run through `pnpm playtally`, one
// Ctrl-C arrives twice (from the terminal, and forwarded by pnpm), so a repeat within a second
// counts as the same one.
const controller = new AbortController();
let interruptedAt = 0;
process.on('SIGINT', () => {
  if (!controller.signal.aborted) {
    interruptedAt = Date.now();
    controller.abort(new Error('interrupted'));
  } else if (Date.now() - interruptedAt >= 1000) {
    process.exit(ExitCode.Interrupted);
  }
});

process.exitCode = await runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  signal: controller.signal,
});
