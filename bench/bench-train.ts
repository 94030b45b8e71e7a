/**
 * `npm run bench:train`: epoch time of `focuslite train` on a synthetic FocusPath-like set.
 *
 *   node dist/bench/bench-train.js [--images 5200] [--val 0] [--size 1024] [--epochs 3]
 *     [--threads n] [--kernels 1] [--cache-mem 4] [--distinct 40] [--dir folder] [--keep]
 *
 * A few distinct textures at 10 blur levels are written as PNGs and hard-linked under FocusPath
 * names up to --images files, so every image is decoded and cached like a real one (the full
 * 5,200 x 1024x1024 set is 16 GB raw: a disk cache beyond --cache-mem) without 16 GB of PNGs.
 * Prints the cache build time (decode once: the "first epoch" cost) and each epoch's seconds,
 * and extrapolates to 120 epochs from the mean of the epochs after the first.
 */
import { linkSync, mkdirSync, rmSync, statfsSync, existsSync } from 'node:fs';
import { availableParallelism, cpus, freemem, tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { train, type TrainItem } from '../src/train/trainer.js';
import { Mulberry32 } from '../src/core/random.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v < 0) throw new Error(`Expected a non-negative number for --${name} but received ${process.argv[i + 1]}`);
  return v;
}
function strArg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

/** Tissue-ish RGB noise: pink background, blocky purple texture, dark discs (nuclei). */
function texture(size: number, seed: number): Buffer {
  const m = new Mulberry32(seed >>> 0);
  const r = (): number => m.uniform();
  const out = Buffer.alloc(size * size * 3);
  for (let y = 0; y < size; y += 2) {
    for (let x = 0; x < size; x += 2) {
      const v = (r() - 0.5) * 90;
      for (let p of [(y * size + x) * 3, (y * size + x + 1) * 3, ((y + 1) * size + x) * 3, ((y + 1) * size + x + 1) * 3]) {
        out[p++] = Math.max(0, Math.min(255, 210 + v));
        out[p++] = Math.max(0, Math.min(255, 150 + v));
        out[p] = Math.max(0, Math.min(255, 200 + v));
      }
    }
  }
  for (let d = 0; d < (size * size) / 700; d++) {
    const cx = r() * size, cy = r() * size, rad = 3 + r() * 6;
    for (let y = Math.max(0, Math.floor(cy - rad)); y < Math.min(size, cy + rad); y++) {
      for (let x = Math.max(0, Math.floor(cx - rad)); x < Math.min(size, cx + rad); x++) {
        if ((x - cx) ** 2 + (y - cy) ** 2 <= rad * rad) out.set([70, 40, 120], (y * size + x) * 3);
      }
    }
  }
  return out;
}

async function main(): Promise<void> {
  const n = Math.round(arg('images', 5200));
  const nVal = Math.round(arg('val', 0));
  const size = Math.round(arg('size', 1024));
  const epochs = Math.round(arg('epochs', 3));
  const threads = Math.round(arg('threads', availableParallelism()));
  const kernels = Math.round(arg('kernels', 1));
  const cacheMem = arg('cache-mem', 4);
  const distinct = Math.round(arg('distinct', 40));
  const dir = strArg('dir') ?? join(tmpdir(), 'focuslite-bench-train');
  const rawBytes = n * size * size * 3;
  console.log(`focuslite bench:train: ${cpus()[0]?.model ?? 'cpu'} x${availableParallelism()}, node ${process.version}`);
  console.log(`${n} training + ${nVal} validation images of ${size}x${size}, ${kernels} kernel(s), ${threads} thread(s), ${epochs} epochs; raw pixels ${(rawBytes / 2 ** 30).toFixed(2)} GB, cache memory budget ${cacheMem} GB, free memory ${(freemem() / 2 ** 30).toFixed(1)} GB`);
  mkdirSync(dir, { recursive: true });
  const fs = statfsSync(dir);
  const free = fs.bavail * fs.bsize;
  if (rawBytes > cacheMem * 2 ** 30 && rawBytes * 1.05 > free) {
    throw new Error(`The disk cache needs ${(rawBytes / 2 ** 30).toFixed(1)} GB but ${dir} has ${(free / 2 ** 30).toFixed(1)} GB free: use fewer --images (the epoch time scales linearly) or another --dir`);
  }

  // distinct sources: texture t blurred to level z (sigma 0.8 z), target |z|
  const srcDir = join(dir, 'src');
  const imgDir = join(dir, 'images');
  rmSync(imgDir, { recursive: true, force: true });
  mkdirSync(srcDir, { recursive: true });
  mkdirSync(imgDir, { recursive: true });
  const sources: Array<{ path: string; z: number }> = [];
  const t0 = performance.now();
  for (let d = 0; d < distinct; d++) {
    const z = d % 10;
    const path = join(srcDir, `src${d}_${size}.png`);
    if (!existsSync(path)) {
      let img = sharp(texture(size, 1000 + Math.floor(d / 10)), { raw: { width: size, height: size, channels: 3 } });
      if (z > 0) img = img.blur(0.8 * z);
      await img.png({ compressionLevel: 1 }).toFile(path);
    }
    sources.push({ path, z });
  }
  const items: TrainItem[] = [];
  for (let i = 0; i < n + nVal; i++) {
    const s = sources[i % distinct]!;
    const slide = 1 + Math.floor(i / 700);
    const path = join(imgDir, `Slide${String(slide).padStart(2, '0')}_Strip00_Slice${String(Math.floor(i / 20) % 100).padStart(2, '0')}_Position${String(i % 20).padStart(2, '0')}_${i}.png`);
    linkSync(s.path, path);
    items.push({ path, target: s.z, group: `slide${slide}` });
  }
  console.log(`data: ${distinct} distinct PNGs hard-linked to ${n + nVal} files in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  // CPU seconds of the whole process (all threads) per epoch: with a busy machine the wall time
  // says little, while cpu / threads is what an idle machine of this kind would take.
  let cpuAtStart = 0;
  const cpuSeconds: number[] = [];
  const cpuNow = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  let lastCache = 0;
  const res = await train({
    train: items.slice(0, n),
    val: items.slice(n),
    outDir: join(dir, 'out'),
    config: { epochs, kernels, pooling: 'min', loss: 'plcc', seed: 1 },
    threads,
    cacheMemBytes: cacheMem * 2 ** 30,
    keepCache: process.argv.includes('--keep'),
    events: {
      onCacheProgress(what, done, total) {
        const now = performance.now();
        if (done === total || now - lastCache > 10000) {
          lastCache = now;
          console.log(`  caching ${what}: ${done}/${total}`);
        }
      },
      onCacheReady(what, info) {
        console.log(`cache ${what}: ${info.kind}, ${(info.bytes / 2 ** 30).toFixed(2)} GB, ${info.seconds.toFixed(1)} s${info.reused ? ' (reused)' : ` (${((n + (what === 'val' ? nVal - n : 0)) / info.seconds).toFixed(0)} images/s)`}`);
      },
      onEpochStart() {
        cpuAtStart = cpuNow();
      },
      onEpochEnd(row) {
        cpuSeconds.push(cpuNow() - cpuAtStart);
        console.log(`epoch ${row.epoch}: ${row.seconds.toFixed(2)} s wall, ${cpuSeconds.at(-1)!.toFixed(2)} s CPU, loss ${row.trainLoss.toFixed(4)}${row.valSrcc !== null ? `, val SRCC ${row.valSrcc.toFixed(3)}` : ''}`);
      },
    },
  });
  const secs = res.log.map((r) => r.seconds);
  const later = secs.length > 1 ? secs.slice(1) : secs;
  const mean = later.reduce((a, b) => a + b, 0) / later.length;
  console.log(`kernel ${res.kernel}; epoch seconds: ${secs.map((s) => s.toFixed(2)).join(', ')}`);
  console.log(`mean epoch after the first: ${mean.toFixed(2)} s for ${n} images (${((mean / n) * 1000).toFixed(2)} ms per image)` +
    (n !== 5200 ? `; linear extrapolation to 5,200 images: ${((mean / n) * 5200).toFixed(1)} s` : '') +
    `; 120 epochs: ${((mean * 120 * (n === 5200 ? 1 : 5200 / n)) / 60).toFixed(1)} min at 5,200 images`);
  const cpuLater = cpuSeconds.length > 1 ? cpuSeconds.slice(1) : cpuSeconds;
  const cpuMean = cpuLater.reduce((a, b) => a + b, 0) / cpuLater.length;
  const ideal = cpuMean / threads;
  console.log(`mean CPU per epoch after the first: ${cpuMean.toFixed(2)} s, i.e. ${ideal.toFixed(2)} s per epoch on ${threads} idle core(s)` +
    (n !== 5200 ? ` (${((ideal / n) * 5200).toFixed(1)} s at 5,200 images)` : ''));
  if (!process.argv.includes('--keep')) rmSync(join(dir, 'out'), { recursive: true, force: true });
  rmSync(imgDir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
