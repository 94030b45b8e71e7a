/**
 * `npm run bench`: figures for scoring 1024x1024 patches.
 *  - decode ms per PNG (sharp), median
 *  - compute ms per image on one thread for N = 1, 2, 10 kernels (49 crops), per kernel backend, median
 *  - images/s for a folder of PNGs, decode + compute, with all cores (and with one)
 *  - start-up: wall time of `focuslite --help` and `focuslite score <one 1024² PNG>` against
 *    `node -e 0` and a bare node that imports commander (medians of interleaved runs)
 * Real tissue from ../shared/data/tcga-focus when present, else a procedural tissue-like image.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir, availableParallelism, cpus } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { createModel } from '../src/core/model.js';
import { scoreRgbImage } from '../src/core/score.js';
import type { RgbImage } from '../src/core/image.js';
import { resolveKernel } from '../src/core/kernels/index.js';
import { decodeImage } from '../src/io/decode.js';
import { scoreFiles } from '../src/pipeline/score-files.js';

const SIZE = 1024;
const FOLDER_IMAGES = Number(process.env.BENCH_IMAGES ?? 200);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function randomModel(kernels: number, seed: number) {
  let a = seed;
  const rnd = () => ((a = (a * 1664525 + 1013904223) >>> 0) / 4294967296) - 0.5;
  return createModel({
    kernels,
    convWeight: Array.from({ length: kernels * 147 }, () => rnd() * 0.2),
    convBias: Array.from({ length: kernels }, rnd),
    fcWeight: kernels > 1 ? Array.from({ length: kernels }, rnd) : null,
    fcBias: 0.1,
  });
}

async function sourcePng(): Promise<Buffer> {
  const shared = resolve(process.cwd(), '..', 'shared', 'data', 'tcga-focus', 'in-focus_patch_i_32381_j_37784.png');
  if (existsSync(shared)) return sharp(shared).extract({ left: 0, top: 0, width: SIZE, height: SIZE }).removeAlpha().png().toBuffer();
  const { makeTissueLikeImage } = await import('../src/synth/tissue-image.js');
  const img: RgbImage = makeTissueLikeImage(SIZE, SIZE, 1);
  return sharp(img.data, { raw: { width: SIZE, height: SIZE, channels: 3 } }).png().toBuffer();
}

const STARTUP_ROUNDS = Number(process.env.BENCH_STARTUP_ROUNDS ?? 15);

/** Wall time of one child process, ms; it must exit 0. */
function wallMs(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: process.cwd(), stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr.toString().trim()}`);
  return ms;
}

/**
 * Start-up figures: each case once per round, rounds interleaved so a change in machine load
 * falls on every case alike; medians.
 */
function startup(png: string): void {
  const bin = resolve(process.cwd(), 'bin', 'focuslite.js');
  const cases: Array<[string, string[]]> = [
    ['node -e 0', ['-e', '0']],
    ['node + import commander', ['--input-type=module', '-e', "import 'commander';"]],
    ['focuslite --help', [bin, '--help']],
    ['focuslite score <1024² PNG>', [bin, 'score', '--format', 'json', png]],
  ];
  const times = cases.map(() => [] as number[]);
  for (let round = 0; round < STARTUP_ROUNDS + 1; round++) {
    cases.forEach(([, args], i) => {
      const ms = wallMs(args);
      if (round > 0) times[i]!.push(ms); // round 0 warms the file cache
    });
  }
  const med = times.map(median);
  cases.forEach(([name], i) => console.log(`startup ${name.padEnd(28)}: ${med[i]!.toFixed(0)} ms median of ${STARTUP_ROUNDS}`));
  console.log(`startup focuslite --help / node + commander: ${(med[2]! / med[1]!).toFixed(2)}x (target <= 1.4x)`);
}

async function main(): Promise<void> {
  console.log(`focuslite bench: ${cpus()[0]?.model ?? 'cpu'} x${availableParallelism()}, node ${process.version}`);
  const png = await sourcePng();
  // decode
  const decodeTimes: number[] = [];
  let image!: RgbImage;
  for (let i = 0; i < 15; i++) {
    const t0 = performance.now();
    image = await decodeImage(png, 'bench.png');
    decodeTimes.push(performance.now() - t0);
  }
  console.log(`decode  1024x1024 PNG (sharp): ${median(decodeTimes.slice(3)).toFixed(1)} ms median`);

  // compute, one thread
  const backends = ['wasm-simd', 'reference'];
  for (const name of backends) {
    let kernel;
    try {
      kernel = resolveKernel(name);
    } catch (err) {
      console.log(`compute ${name}: unavailable (${(err as Error).message})`);
      continue;
    }
    for (const n of [1, 2, 10]) {
      const model = randomModel(n, n);
      const runs = name === 'reference' ? (n === 10 ? 1 : 2) : 30;
      const times: number[] = [];
      for (let i = 0; i < runs + 2; i++) {
        const t0 = performance.now();
        scoreRgbImage(model, kernel, image);
        times.push(performance.now() - t0);
      }
      console.log(`compute ${name.padEnd(9)} N=${String(n).padEnd(2)}: ${median(times.slice(2).length ? times.slice(2) : times).toFixed(2)} ms per 1024x1024 image (49 crops, one thread)`);
    }
  }

  // folder throughput
  const dir = mkdtempSync(join(tmpdir(), 'focuslite-bench-'));
  try {
    const one = join(dir, 'startup.png');
    writeFileSync(one, png);
    startup(one);
    const files: string[] = [];
    for (let i = 0; i < FOLDER_IMAGES; i++) {
      const f = join(dir, `patch-${String(i).padStart(4, '0')}.png`);
      // vary the content a little (flips/rotations) so files are not byte-identical
      await sharp(png).rotate((i % 4) * 90).flop(i % 8 >= 4).toFile(f);
      files.push(f);
    }
    const model = randomModel(1, 7);
    for (const threads of [availableParallelism(), 1]) {
      const t0 = performance.now();
      let n = 0;
      for await (const r of scoreFiles(files, model, { threads })) if (r.ok) n++;
      const s = (performance.now() - t0) / 1000;
      console.log(`folder  ${n} PNGs 1024x1024, N=1, ${threads} thread(s): ${(n / s).toFixed(1)} images/s (${s.toFixed(2)} s)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
