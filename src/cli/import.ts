/** `focuslite import <ckpt.pt> -o <model.json>`: convert an original FocusLiteNN checkpoint to focuslite weights. */
import { Command } from 'commander';
import type { ScoreScale } from '../core/model.js';
import { modelSummaryLine } from '../core/model-info.js';
import { choiceOption, numberOption } from './options.js';

const SCALES: readonly ScoreScale[] = ['relative', 'z-level'];

interface ImportOpts {
  output: string;
  scale?: ScoreScale;
  mpp?: number;
}

export function importCommand(): Command {
  return new Command('import')
    .description('Convert an original FocusLiteNN PyTorch checkpoint (.pt, legacy or zip) to focuslite weights JSON. ' +
      'Note: weights converted from the published checkpoints keep their non-commercial licence.')
    .argument('<checkpoint>', 'PyTorch checkpoint (.pt/.pth) holding a FocusLiteNN state dict')
    .requiredOption('-o, --output <file>', 'where to write the weights JSON')
    .option('--scale <scale>', `score scale: ${SCALES.join(' or ')} (default: z-level when the file name contains "mse", else relative)`,
      choiceOption('scale', SCALES))
    .option('--mpp <um>', 'training resolution in µm/px to record (default 0.25: FocusPath, the published checkpoints\' training data, was scanned at 40x, 0.25 µm/px)',
      numberOption('mpp', 0.01, 100))
    .action(async (checkpoint: string, opts: ImportOpts) => {
      const { loadModel, saveModel } = await import('../io/weights-file.js');
      const model = await loadModel(checkpoint, { ...(opts.scale ? { scale: opts.scale } : {}), ...(opts.mpp !== undefined ? { mpp: opts.mpp } : {}) });
      await saveModel(opts.output, model);
      const format = typeof model.provenance.format === 'string' ? `${model.provenance.format} checkpoint, ` : '';
      process.stdout.write(`imported ${checkpoint} -> ${opts.output}: ${format}${modelSummaryLine(model)}\n`);
    });
}
