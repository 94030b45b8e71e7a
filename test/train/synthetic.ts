/** Tiny synthetic defocus data for the training tests: random textures blurred by a box filter. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { rng } from '../helpers.js';

/** Blocky RGB noise (2x2 cells) with a few dark "nuclei" discs, so sharp images have strong edges. */
export function texture(size: number, seed: number): Uint8Array {
  const r = rng(seed);
  const out = new Uint8Array(size * size * 3);
  const base = [150 + 60 * r(), 110 + 60 * r(), 160 + 60 * r()];
  for (let y = 0; y < size; y += 2) {
    for (let x = 0; x < size; x += 2) {
      const v = (r() - 0.5) * 120;
      for (let dy = 0; dy < 2 && y + dy < size; dy++) {
        for (let dx = 0; dx < 2 && x + dx < size; dx++) {
          const p = ((y + dy) * size + x + dx) * 3;
          for (let c = 0; c < 3; c++) out[p + c] = Math.max(0, Math.min(255, Math.round(base[c]! + v + (r() - 0.5) * 30)));
        }
      }
    }
  }
  const discs = Math.round((size * size) / 900);
  for (let d = 0; d < discs; d++) {
    const cx = r() * size, cy = r() * size, rad = 3 + r() * 5;
    for (let y = Math.max(0, Math.floor(cy - rad)); y < Math.min(size, cy + rad); y++) {
      for (let x = Math.max(0, Math.floor(cx - rad)); x < Math.min(size, cx + rad); x++) {
        if ((x - cx) ** 2 + (y - cy) ** 2 > rad * rad) continue;
        const p = (y * size + x) * 3;
        out[p] = 60; out[p + 1] = 30; out[p + 2] = 110;
      }
    }
  }
  return out;
}

/** Separable box blur of radius `radius` (edges clamped), rounded back to uint8. */
export function boxBlur(src: Uint8Array, size: number, radius: number): Uint8Array {
  if (radius <= 0) return src.slice();
  const tmp = new Float64Array(src.length);
  const out = new Uint8Array(src.length);
  const w = 2 * radius + 1;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let k = -radius; k <= radius; k++) s += src[(y * size + Math.min(size - 1, Math.max(0, x + k))) * 3 + c]!;
        tmp[(y * size + x) * 3 + c] = s / w;
      }
    }
  }
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let k = -radius; k <= radius; k++) s += tmp[(Math.min(size - 1, Math.max(0, y + k)) * size + x) * 3 + c]!;
        out[(y * size + x) * 3 + c] = Math.round(s / w);
      }
    }
  }
  return out;
}

export interface SyntheticItem { path: string; target: number; group: string }

/**
 * `textures` textures x `levels` blur levels (target = level), written as PNGs under `dir`. Each
 * image also gets its own random brightness shift, unrelated to blur, so a random filter (which
 * responds to brightness) does not rank blur already and the training has to learn.
 */
export async function writeDefocusSet(dir: string, opts: { textures: number; levels: number; size: number; seed?: number }): Promise<SyntheticItem[]> {
  mkdirSync(dir, { recursive: true });
  const items: SyntheticItem[] = [];
  const r = rng((opts.seed ?? 7) + 99);
  for (let t = 0; t < opts.textures; t++) {
    const sharpTex = texture(opts.size, (opts.seed ?? 7) * 1000 + t);
    for (let level = 0; level < opts.levels; level++) {
      const path = join(dir, `tex${t}_z${level}.png`);
      const shift = Math.round((r() - 0.5) * 220);
      const px = boxBlur(sharpTex, opts.size, level).map((v) => Math.max(0, Math.min(255, v + shift)));
      await sharp(px, { raw: { width: opts.size, height: opts.size, channels: 3 } }).png({ compressionLevel: 1 }).toFile(path);
      items.push({ path, target: level, group: `tex${t}` });
    }
  }
  return items;
}
