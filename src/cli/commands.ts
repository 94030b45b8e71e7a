/** The list of CLI commands: add one line per command file. */
import type { Command } from 'commander';

import { scoreCommand } from './score.js';

export const commandFactories: Array<() => Command> = [
  scoreCommand,
];
