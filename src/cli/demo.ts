/** `focuslite demo`: score a self-generated tissue-like image with a known focus gradient. */
import { Command } from 'commander';
import { DEFAULT_MODEL_HELP, resolveModel } from '../io/model-source.js';
import { intOption, numberOption } from './options.js';

interface DemoOpts {
  output: string;
  weights?: string;
  seed: number;
  maxLevel: number;
  kernel?: string;
}

export function demoCommand(): Command {
  return new Command('demo')
    .description('Make a tissue-like image whose focus degrades left to right, score it with the built-in model, print the per-crop grid and write the results')
    .option('-o, --output <dir>', 'folder for demo-image.png, crops.csv, scores.json, heatmap.png', 'focuslite-demo')
    .option('-w, --weights <file>', `model (default: ${DEFAULT_MODEL_HELP})`)
    .option('--seed <n>', 'seed of the generated image', intOption('seed', 0, 0xffffffff), 1)
    .option('--max-level <z>', 'defocus level at the right edge', numberOption('max-level', 0, 30), 8)
    .option('--kernel <name>', 'conv kernel backend (wasm-simd, reference)')
    .action(async (opts: DemoOpts) => {
      // loaded here, not at start-up: `focuslite --help` and the other commands never pay for it
      const { runDemo } = await import('../pipeline/demo.js');
      const { model, path } = await resolveModel(opts.weights);
      const t0 = performance.now();
      const r = await runDemo(model, path, { outDir: opts.output, seed: opts.seed, maxLevel: opts.maxLevel, kernel: opts.kernel });
      const { grid } = r.score;
      const out = (s: string): void => void process.stdout.write(s + '\n');
      out(`focuslite demo: 2048x1024 tissue-like image, defocus level 0 (left) to ${opts.maxLevel} (right); model ${path} (${model.scale} scale)`);
      out(`per-crop scores, ${grid.rows} rows x ${grid.cols} cols of ${grid.cropSize}px crops at stride ${grid.stride} (higher = blurrier):`);
      out('  level ' + grid.xs.map((x) => (opts.maxLevel * (x + grid.cropSize / 2) / 2047).toFixed(1).padStart(7)).join(''));
      for (let row = 0; row < grid.rows; row++) {
        out(`  y=${String(grid.ys[row]).padEnd(4)}` + Array.from({ length: grid.cols }, (_, c) => r.score.crops[row * grid.cols + c]!.toFixed(2).padStart(7)).join(''));
      }
      out(`image score (mean of ${r.score.crops.length} crops): ${r.score.score.toFixed(4)}`);
      out(`Spearman correlation of crop scores with the known defocus level: ${r.srcc.toFixed(3)}`);
      out(`wrote ${r.files.image}, ${r.files.scoresCsv}, ${r.files.scoresJson}, ${r.files.heatmap} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    });
}
