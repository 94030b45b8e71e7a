/** `focuslite info <weights.json|checkpoint.pt>`: what a model file holds. */
import { Command } from 'commander';
import type { ScoreScale } from '../core/model.js';
import { formatModelInfo, modelInfo } from '../core/model-info.js';
import { choiceOption } from './options.js';

const SCALES: readonly ScoreScale[] = ['relative', 'z-level'];

interface InfoOpts {
  json?: boolean;
  scale?: ScoreScale;
}

export function infoCommand(): Command {
  return new Command('info')
    .description('Show kernels, pooling, score scale, parameter count and provenance of a model file')
    .argument('<weights>', 'focuslite weights JSON or an original FocusLiteNN .pt checkpoint')
    .option('--json', 'print JSON instead of text')
    .option('--scale <scale>', `for a checkpoint: score scale to assume (${SCALES.join(' or ')})`, choiceOption('scale', SCALES))
    .action(async (weights: string, opts: InfoOpts) => {
      const { loadModel } = await import('../io/weights-file.js');
      const model = await loadModel(weights, opts.scale ? { scale: opts.scale } : {});
      const info = modelInfo(model, weights);
      const text = opts.json ? JSON.stringify(info, null, 2) : formatModelInfo(info).join('\n');
      process.stdout.write(text + '\n');
    });
}
