/**
 * Classic focus measures benchmark: compute time per 1024² image for every registered
 * knowledge-based measure, one thread, next to the original MATLAB code's run time under Octave
 * on the same machine class (`time_s` of the two TCGA@Focus patches in
 * ../shared/reference/baselines/reference-scores.json).
 *
 *   npm run bench:measures [-- --runs 10] [-- --only name,name] [-- --size 1024] [-- --image-only]
 *
 * Whole image: `scoreImage` on the TCGA@Focus patches (1025 x 1025, decoded once; decoding is not
 * timed), or on a synthetic 1024² texture when ../shared is absent. Crops: `scoreCrops` over the
 * dense 235/128 grid (49 crops). Median and minimum wall time of `runs` timed calls after warm-up
 * calls, and the median CPU time of this process per call (`--image-only` skips the crops, which
 * for the Fourier measures cost minutes; `--size n` crops the patches to n x n at their top left:
 * 1025 = 5^2 41 is a slow FFT length, 1024 the FocusPath size) (steadier on a busy shared machine, where
 * the wall-time median includes waiting for a core). The 1-minute load average is printed: the
 * numbers are only comparable between runs at a similar load.
 *
 * The table is over the registry, so measures registered elsewhere appear once their module is
 * imported below.
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { cropGrid } from '../src/core/grid.js';
import { createRgbImage, cropImage, type RgbImage } from '../src/core/image.js';
import { DEFAULT_CROP, DEFAULT_STRIDE } from '../src/core/model.js';
import { gridOrigins } from '../src/core/score.js';
import { filterBackend } from '../src/core/measures/filter-chains.js';
import '../src/core/measures/register-builtin.js';
import { getMeasure, registeredMeasures } from '../src/core/measures/registry.js';
import type { FocusMeasure } from '../src/core/measures/types.js';
import { decodeImage } from '../src/io/decode.js';

/** focuslite measure name -> key of the original's scores in reference-scores.json */
const REFERENCE_KEYS: Record<string, string> = {
  fqpath: 'FQPath',
  'hvs-maxpol-1': 'HVS_MaxPol_1',
  'hvs-maxpol-2': 'HVS_MaxPol_2',
  'synthetic-maxpol': 'Synthetic_MaxPol',
  'lpc-si': 'LPC_SI',
  gpc: 'GPC',
  's-index': 'S_index',
  mlv: 'MLV',
};

export interface Timing {
  readonly medianMs: number;
  readonly minMs: number;
  readonly medianCpuMs: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Time `fn` over the images in turn: `runs` timed calls after `warmup` untimed ones. */
export function timeCalls(fn: (image: RgbImage) => unknown, images: readonly RgbImage[], runs: number, warmup = 2): Timing {
  if (!Number.isInteger(runs) || runs < 1 || runs > 10000) throw new Error(`Expected integer between 1 and 10000 for runs but received ${runs}`);
  for (let i = 0; i < warmup; i++) fn(images[i % images.length]!);
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const image = images[i % images.length]!;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn(image);
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { medianMs: median(wall), minMs: Math.min(...wall), medianCpuMs: median(cpu) };
}

/** Deterministic textured 1024² image (cost barely depends on content; used without ../shared). */
function syntheticImage(): RgbImage {
  const w = 1024, h = 1024;
  const data = new Uint8Array(w * h * 3);
  let s = 12345;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    const p = Math.floor(i / 3);
    const x = p % w, y = Math.floor(p / w);
    data[i] = Math.max(0, Math.min(255, Math.round(140 + 70 * Math.sin(x / 9) * Math.cos(y / 13) + ((s >>> 16) % 41) - 20)));
  }
  return createRgbImage(w, h, data);
}

interface Patches {
  readonly images: RgbImage[];
  readonly label: string;
  /** reference key -> mean time_s of the original over the patches */
  readonly originalSeconds: Map<string, number>;
}

async function loadPatches(): Promise<Patches> {
  const shared = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared');
  const refFile = join(shared, 'reference', 'baselines', 'reference-scores.json');
  if (!existsSync(refFile)) return { images: [syntheticImage()], label: 'synthetic 1024x1024 texture (../shared absent)', originalSeconds: new Map() };
  const ref = JSON.parse(readFileSync(refFile, 'utf8')) as { images: Array<{ id: string; path: string; scores: Record<string, { time_s: number }> }> };
  const patches = ref.images.filter((r) => r.id.startsWith('tcga-focus/'));
  const images = await Promise.all(patches.map((p) => decodeImage(join(shared, p.path))));
  const originalSeconds = new Map<string, number>();
  for (const key of new Set(patches.flatMap((p) => Object.keys(p.scores)))) {
    const times = patches.map((p) => p.scores[key]?.time_s).filter((t): t is number => typeof t === 'number');
    if (times.length) originalSeconds.set(key, times.reduce((a, b) => a + b, 0) / times.length);
  }
  return { images, label: `the ${images.length} TCGA@Focus patches (${images[0]!.width}x${images[0]!.height})`, originalSeconds };
}

function isClassic(m: FocusMeasure): boolean {
  return m.kind === 'knowledge-based';
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const at = args.indexOf('--runs');
  const runs = at >= 0 ? Number(args[at + 1]) : 10;
  const o = args.indexOf('--only');
  const only = o >= 0 ? new Set((args[o + 1] ?? '').split(',')) : null;
  const z = args.indexOf('--size');
  const size = z >= 0 ? Number(args[z + 1]) : null;
  const imageOnly = args.includes('--image-only');
  const loaded = await loadPatches();
  if (size !== null && (!Number.isInteger(size) || size < 16 || loaded.images.some((im) => im.width < size || im.height < size))) {
    throw new Error(`--size must be an integer from 16 to the patch size, received ${args[z + 1]}`);
  }
  const patches = size === null ? loaded : { ...loaded, images: loaded.images.map((im) => cropImage(im, 0, 0, size, size)), label: `${loaded.label}, cropped to ${size}x${size}` };
  const measures = registeredMeasures().map(getMeasure).filter(isClassic).filter((m) => !only || only.has(m.name));
  const grid = cropGrid(patches.images[0]!.width, patches.images[0]!.height, DEFAULT_CROP, DEFAULT_STRIDE);
  const { xs, ys } = gridOrigins(grid);
  console.log(`classic focus measures, one thread, ms per image: ${patches.label}; filters: ${filterBackend().name}; load average ${loadavg()[0]!.toFixed(1)}`);
  console.log('measure              image: median     min  cpu-med | 49 crops: median  cpu-med | original (Octave) s');
  for (const m of measures) {
    const whole = timeCalls((img) => m.scoreImage(img), patches.images, runs);
    const crops = imageOnly ? null : timeCalls((img) => m.scoreCrops(img, xs, ys, DEFAULT_CROP), patches.images, Math.max(1, Math.ceil(runs / 2)), 1);
    const key = REFERENCE_KEYS[m.name];
    const original = key ? patches.originalSeconds.get(key) : undefined;
    console.log(
      `${m.name.padEnd(20)} ${whole.medianMs.toFixed(1).padStart(13)} ${whole.minMs.toFixed(1).padStart(7)} ${whole.medianCpuMs.toFixed(1).padStart(8)} |` +
        ` ${crops ? crops.medianMs.toFixed(1).padStart(15) : '—'.padStart(15)} ${crops ? crops.medianCpuMs.toFixed(1).padStart(8) : '—'.padStart(8)} | ${original === undefined ? '—' : original.toFixed(3)}`,
    );
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
