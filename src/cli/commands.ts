/** The list of CLI commands: add one line per command file. */
import type { Command } from 'commander';

import { scoreCommand } from './score.js';
import { demoCommand } from './demo.js';
import { slideCommand } from './slide.js';
import { importCommand } from './import.js';
import { infoCommand } from './info.js';
import { evalCommand } from './eval.js';
import { compareCommand } from './compare.js';
import { cvCommand } from './cv.js';
import { synthCommand } from './synth.js';
import { trainCommand } from './train.js';
import { serveCommand } from './serve.js';

export const commandFactories: Array<() => Command> = [
  demoCommand,
  scoreCommand,
  slideCommand,
  importCommand,
  infoCommand,
  evalCommand,
  compareCommand,
  cvCommand,
  synthCommand,
  trainCommand,
  serveCommand,
];
