import { createRequire } from 'node:module';
import { type CliContext, ExitCode } from './cli-command.js';
import { commands } from './commands.js';
import { reportError } from './report-error.js';

function generalHelp(): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  const list = commands
    .map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`)
    .join('\n');
  return `Usage: playtally <command> [options]

Commands:
${list}

Run "playtally <command> --help" for a command's options.
Exit codes: 0 done, 1 bad input, 2 usage error, 3 I/O or other failure,
130 interrupted (Ctrl-C).
`;
}

function version(): string {
  // src/cli/ and dist/cli/ both sit two levels below the package root.
  const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };
  return pkg.version;
}

/** Runs `playtally` with `argv` (without node and script); resolves to the exit code. */
export async function runCli(argv: readonly string[], context: CliContext): Promise<number> {
  const [name, ...args] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    context.stdout.write(generalHelp());
    return ExitCode.Ok;
  }
  if (name === '--version' || name === '-v') {
    context.stdout.write(`${version()}\n`);
    return ExitCode.Ok;
  }
  if (name === undefined) {
    context.stderr.write(generalHelp());
    return ExitCode.Usage;
  }
  const command = commands.find((candidate) => candidate.name === name);
  if (command === undefined) {
    context.stderr.write(`playtally: unknown command "${name}"\n\n${generalHelp()}`);
    return ExitCode.Usage;
  }
  if (args.includes('--help') || args.includes('-h')) {
    context.stdout.write(`${command.usage}\n`);
    return ExitCode.Ok;
  }
  try {
    return await command.run(args, context);
  } catch (error) {
    return reportError(error, context, command.name);
  }
}
