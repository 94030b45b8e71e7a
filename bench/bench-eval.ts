/**
 * `node dist/bench/bench-eval.js`: images/s of `focuslite eval` on generated 1024x1024 PNGs in the
 * FocusPath layout (BENCH_IMAGES, default 200: procedural textures, each blurred at several
 * z-levels; BENCH_DIR keeps them in that folder for re-runs), all cores, through the real CLI. Prints the CLI's timing line and the table.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { createModel } from '../src/core/model.js';
import { serializeModel } from '../src/core/weights.js';

const SIZE = 1024;
const IMAGES = Number(process.env.BENCH_IMAGES ?? 200);
const LEVELS = [-4, -2, 0, 1, 3, 5, 7, 9, -6, -8];

/** Pink base with dark blobs of a few sizes and blocky noise: compresses about like stained tissue. */
function textureImage(size: number, seed: number): Uint8Array {
  let a = seed >>> 0;
  const rnd = (): number => ((a = (Math.imul(a, 1664525) + 1013904223) >>> 0) / 4294967296);
  const out = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y += 4) {
    for (let x = 0; x < size; x += 4) {
      const v = (rnd() - 0.5) * 60;
      for (let dy = 0; dy < 4; dy++) {
        for (let dx = 0; dx < 4; dx++) {
          const p = ((y + dy) * size + x + dx) * 3;
          out[p] = 225 + v * 0.4; out[p + 1] = 170 + v; out[p + 2] = 205 + v * 0.6;
        }
      }
    }
  }
  for (let b = 0; b < 900; b++) {
    const cx = rnd() * size, cy = rnd() * size, r = 3 + rnd() * 9;
    for (let y = Math.max(0, Math.floor(cy - r)); y < Math.min(size, cy + r); y++) {
      for (let x = Math.max(0, Math.floor(cx - r)); x < Math.min(size, cx + r); x++) {
        if ((x - cx) ** 2 + (y - cy) ** 2 > r * r) continue;
        const p = (y * size + x) * 3;
        out[p] = 90; out[p + 1] = 50; out[p + 2] = 140;
      }
    }
  }
  return out;
}

async function main(): Promise<void> {
  const keep = process.env.BENCH_DIR;
  const dir = keep ?? mkdtempSync(join(tmpdir(), 'focuslite-bench-eval-'));
  try {
    const images = join(dir, 'images');
    mkdirSync(images, { recursive: true });
    const rows: string[] = [];
    const sources = Math.ceil(IMAGES / LEVELS.length);
    const t0 = performance.now();
    for (let s = 0; s < sources && rows.length < IMAGES; s++) {
      const src = textureImage(SIZE, s + 1);
      for (const [slice, z] of LEVELS.entries()) {
        if (rows.length >= IMAGES) break;
        const stem = `Slide${String(s + 1).padStart(2, '0')}_Strip00_Slice${String(slice).padStart(2, '0')}_Position00`;
        let img = sharp(src, { raw: { width: SIZE, height: SIZE, channels: 3 } });
        if (z !== 0) img = img.blur(0.3 + 0.6 * Math.abs(z));
        const file = join(images, `${stem}.png`);
        if (!keep || !existsSync(file)) await img.png().toFile(file);
        rows.push(`${stem}.tif,${s + 1},0,${slice},0,${50 + Math.abs(z)},${z}`);
      }
    }
    writeFileSync(join(dir, 'list.txt'), rows.join('\n') + '\n');
    const w = Array.from({ length: 147 }, (_, i) => Math.sin(i * 12.9898) * 0.3);
    writeFileSync(join(dir, 'model.json'), serializeModel(createModel({ kernels: 1, convWeight: w, convBias: [0.01] })));
    console.log(`focuslite bench-eval: ${cpus()[0]?.model ?? 'cpu'} x${availableParallelism()}, node ${process.version}`);
    console.log(`generated ${rows.length} PNGs ${SIZE}x${SIZE} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const bin = resolve(process.cwd(), 'bin', 'focuslite.js');
    for (const threads of [availableParallelism(), 1]) {
      const r = spawnSync(process.execPath, [bin, 'eval', '--weights', join(dir, 'model.json'), '--focuspath', join(dir, 'list.txt'), '--threads', String(threads)], { encoding: 'utf8', env: { ...process.env, CI: 'true' } });
      if (r.status !== 0) throw new Error(`focuslite eval failed: ${r.stderr}`);
      process.stdout.write(`threads ${threads}: ${r.stderr.trim()}\n`);
      if (threads !== 1) process.stdout.write(r.stdout);
    }
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
