/** The list of CLI commands: add one line per command file. */
import type { Command } from 'commander';

export const commandFactories: Array<() => Command> = [
];
