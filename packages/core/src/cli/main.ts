import { ExitCode } from './cli-command.js';
import { runCli } from './run-cli.js';

// The `playtally` executable. The first Ctrl-C asks the running command to stop and clean up
// (spill files, partial output); a second one exits at once.
const controller = new AbortController();
process.on('SIGINT', () => {
  if (controller.signal.aborted) process.exit(ExitCode.Interrupted);
  controller.abort(new Error('interrupted'));
});

process.exitCode = await runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  signal: controller.signal,
});
