/** `focuslite synth <tiles|folders...> -o <out>`: a synthetic defocus dataset in the FocusPath layout. */
import { Command } from 'commander';
import { intOption, numberOption } from './options.js';
import { createProgress, type Progress } from './progress.js';

interface SynthOpts {
  output: string;
  levels: number;
  size: number;
  seed: number;
  noise: number;
  /** a quality, or false after --no-jpeg */
  jpeg: number | false;
  maxTiles?: number;
}

export function synthCommand(): Command {
  return new Command('synth')
    .description('Make a synthetic defocus dataset from in-focus tiles (FocusPath layout: images/<name>_z<z>.png, ' +
      'list.txt, manifest.json). Background, pen-only and tiny tiles are skipped; output is deterministic for a seed.')
    .argument('<inputs...>', 'in-focus tiles: image files, folders (searched recursively) or glob patterns')
    .requiredOption('-o, --output <dir>', 'output folder (new, empty, or an earlier synth output)')
    .option('--levels <K>', 'highest defocus level: images for z = 0..K', intOption('levels', 0, 30), 10)
    .option('--size <px>', 'output side: larger tiles are cropped (seeded), smaller ones mirror-padded', intOption('size', 64, 16384), 1024)
    .option('--seed <n>', 'random seed (crops, noise)', intOption('seed', 0, 0xffffffff), 1)
    .option('--noise <sigma>', 'Gaussian sensor noise, sigma in 8-bit units (0 = none)', numberOption('noise', 0, 64), 2)
    .option('--jpeg <quality>', 'JPEG round trip at this quality before storing as PNG', intOption('jpeg', 1, 100), 90)
    .option('--no-jpeg', 'skip the JPEG round trip')
    .option('--max-tiles <n>', 'use at most n source tiles', intOption('max-tiles', 1, Number.MAX_SAFE_INTEGER))
    .action(async (inputs: string[], opts: SynthOpts) => {
      // loaded here, not at start-up: `focuslite --help` and the other commands never pay for it
      const { synthesizeDataset } = await import('../synth/dataset.js');
      // created on the first event, when the number of source tiles is known
      const bar: { progress?: Progress } = {};
      const started = performance.now();
      try {
        const result = await synthesizeDataset({
          inputs,
          outDir: opts.output,
          levels: opts.levels,
          size: opts.size,
          seed: opts.seed,
          noise: opts.noise,
          jpeg: opts.jpeg === false ? null : opts.jpeg,
          ...(opts.maxTiles !== undefined ? { maxTiles: opts.maxTiles } : {}),
          onProgress: ({ total, source }) => {
            const progress = (bar.progress ??= createProgress(total, 'synth'));
            if (source.status === 'skipped') progress.log(`skipped ${source.path}: ${source.reason}`);
            progress.tick(1);
          },
        });
        bar.progress?.stop();
        delete bar.progress;
        const seconds = (performance.now() - started) / 1000;
        process.stdout.write(
          `wrote ${result.images} images from ${result.used.length} tiles (${result.skipped.length} skipped) to ${result.outDir} ` +
            `in ${seconds.toFixed(1)} s; manifest ${result.manifestHash.slice(0, 16)}\n`,
        );
      } finally {
        bar.progress?.stop();
      }
    });
}
