/** `focuslite synth <tiles|folders...> -o <out>`: a synthetic defocus dataset in the FocusPath layout. */
import { Command, InvalidArgumentError } from 'commander';
import { choiceOption, intOption, numberOption } from './options.js';
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
  psf: 'disk' | 'diffraction';
  na: number;
  wavelengths: [number, number, number];
  zStep: number;
  sourceMpp?: number;
  mpp?: number;
  annular: number;
  obscuration: number;
  motion: number;
  stain: number;
}

/** "0.6,0.54,0.46" -> three wavelengths in µm. */
function wavelengthsOption(value: string): [number, number, number] {
  const parts = value.split(',').map((v) => Number(v.trim()));
  if (parts.length !== 3 || parts.some((v) => !Number.isFinite(v) || v < 0.3 || v > 1.2)) {
    throw new InvalidArgumentError(`--wavelengths needs three numbers in µm between 0.3 and 1.2 (R,G,B), got "${value}"`);
  }
  return parts as [number, number, number];
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
    .option('--psf <model>', 'defocus PSF: disk (disk+Gaussian in px per level) or diffraction (scalar diffraction, µm at --na)', choiceOption('psf', ['disk', 'diffraction'] as const), 'disk')
    .option('--na <NA>', 'diffraction: numerical aperture of the objective', numberOption('na', 0.05, 0.95), 0.75)
    .option('--wavelengths <r,g,b>', 'diffraction: centre wavelength of each camera channel, µm', wavelengthsOption, [0.6, 0.54, 0.46])
    .option('--z-step <µm>', 'diffraction: defocus per level, µm (list z-level = z · step)', numberOption('z-step', 0.01, 5), 0.5)
    .option('--source-mpp <µm/px>', 'diffraction: pixel size of sources whose file records none', numberOption('source-mpp', 0.05, 10))
    .option('--mpp <µm/px>', 'diffraction: output pixel size (default: each source\'s own); sources are resampled after the blur', numberOption('mpp', 0.05, 10))
    .option('--annular <share>', 'diffraction: share of tiles imaged through an annular pupil', numberOption('annular', 0, 1), 0)
    .option('--obscuration <f>', 'diffraction: central obscuration of the annular pupil (fraction of its radius)', numberOption('obscuration', 0, 0.9), 0.5)
    .option('--motion <µm>', 'diffraction: largest motion/vibration blur path per tile, µm (0 = none)', numberOption('motion', 0, 10), 0)
    .option('--stain <sigma>', 'diffraction: H&E/IHC stain jitter in optical density (0 = none; 0.05 light, 0.2 strong)', numberOption('stain', 0, 0.5), 0)
    .action(async (inputs: string[], opts: SynthOpts, cmd: Command) => {
      const opticalOnly = ['na', 'wavelengths', 'zStep', 'sourceMpp', 'mpp', 'annular', 'obscuration', 'motion', 'stain'];
      const misplaced = opticalOnly.filter((k) => cmd.getOptionValueSource(k) === 'cli');
      if (opts.psf !== 'diffraction' && misplaced.length > 0) {
        const flag = (k: string): string => '--' + k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
        throw new Error(`${misplaced.map(flag).join(', ')} ${misplaced.length === 1 ? 'needs' : 'need'} --psf diffraction`);
      }
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
          psf: opts.psf,
          ...(opts.psf === 'diffraction'
            ? {
                optics: { na: opts.na, wavelengthsUm: opts.wavelengths, obscuration: 0 },
                zStepUm: opts.zStep,
                ...(opts.sourceMpp !== undefined ? { sourceMpp: opts.sourceMpp } : {}),
                ...(opts.mpp !== undefined ? { targetMpp: opts.mpp } : {}),
                augment: { annular: opts.annular, obscuration: opts.obscuration, motionUm: opts.motion, stain: opts.stain },
              }
            : {}),
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
