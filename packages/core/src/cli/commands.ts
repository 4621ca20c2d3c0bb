import { aggregateCommand } from './aggregate-command.js';
import type { CliCommand } from './cli-command.js';
import { generateCommand } from './generate-command.js';
import { jobsCommand } from './jobs-command.js';
import { submitCommand } from './submit-command.js';

/** Every `playtally` subcommand, in the order `--help` lists them. Add new commands here. */
export const commands: readonly CliCommand[] = [
  aggregateCommand,
  generateCommand,
  submitCommand,
  jobsCommand,
];
