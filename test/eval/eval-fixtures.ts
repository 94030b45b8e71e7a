/**
 * Tiny generated datasets in the FocusPath and TCGA@Focus layouts for the eval/cv tests: blocky
 * random textures, box-blurred by |z| px, written as PNG. Also a hand-made model whose score
 * rises with blur (a Laplacian-like kernel: min pooling picks its strongest negative response,
 * which flattens as edges soften).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { createModel, type FocusLiteModel } from '../../src/core/model.js';
import { serializeModel } from '../../src/core/weights.js';
import { rng } from '../helpers.js';

/** Blocky RGB noise (4x4 cells) over a pink base: strong edges when sharp. */
export function texture(size: number, seed: number): Uint8Array {
  const r = rng(seed);
  const out = new Uint8Array(size * size * 3);
  const base = [170 + 40 * r(), 120 + 40 * r(), 170 + 40 * r()];
  for (let y = 0; y < size; y += 4) {
    for (let x = 0; x < size; x += 4) {
      const v = (r() - 0.5) * 160;
      for (let dy = 0; dy < 4 && y + dy < size; dy++) {
        for (let dx = 0; dx < 4 && x + dx < size; dx++) {
          const p = ((y + dy) * size + x + dx) * 3;
          for (let c = 0; c < 3; c++) out[p + c] = Math.max(0, Math.min(255, Math.round(base[c]! + v)));
        }
      }
    }
  }
  return out;
}

/** Separable box blur of radius `radius` with clamped edges. */
export function boxBlur(src: Uint8Array, size: number, radius: number): Uint8Array {
  if (radius <= 0) return src.slice();
  const w = 2 * radius + 1;
  const pass = (input: Float64Array | Uint8Array, horizontal: boolean): Float64Array => {
    const out = new Float64Array(input.length);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        for (let c = 0; c < 3; c++) {
          let s = 0;
          for (let k = -radius; k <= radius; k++) {
            const xx = horizontal ? Math.min(size - 1, Math.max(0, x + k)) : x;
            const yy = horizontal ? y : Math.min(size - 1, Math.max(0, y + k));
            s += input[(yy * size + xx) * 3 + c]!;
          }
          out[(y * size + x) * 3 + c] = s / w;
        }
      }
    }
    return out;
  };
  return Uint8Array.from(pass(pass(src, true), false), (v) => Math.round(v));
}

async function writePng(path: string, data: Uint8Array, size: number): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  await sharp(data, { raw: { width: size, height: size, channels: 3 } }).png({ compressionLevel: 1 }).toFile(path);
}

export interface FocusPathFixture {
  list: string;
  images: string;
  /** listed names (.tif), in list order */
  names: string[];
  /** |z| per row */
  absZ: number[];
  slides: number[];
}

/** z-levels of the FocusPath fixture: |z| 0..5 with signs, half blurry (|z| >= 3). */
export const FIXTURE_Z = [-5, -3, -1, 0, 2, 4];

/**
 * `textures` slides x FIXTURE_Z levels: `<dir>/list.txt` (FocusPath format, names .tif) and
 * `<dir>/images/<name>.png`, blurred with radius |z|.
 */
export async function writeFocusPathFixture(dir: string, options: { textures?: number; size?: number; seed?: number } = {}): Promise<FocusPathFixture> {
  const textures = options.textures ?? 4;
  const size = options.size ?? 256;
  const images = join(dir, 'images');
  mkdirSync(images, { recursive: true });
  const rows: string[] = [];
  const fx: FocusPathFixture = { list: join(dir, 'list.txt'), images, names: [], absZ: [], slides: [] };
  for (let t = 0; t < textures; t++) {
    const tex = texture(size, (options.seed ?? 11) * 100 + t);
    for (const [s, z] of FIXTURE_Z.entries()) {
      const slide = t + 1;
      const stem = `Slide${String(slide).padStart(2, '0')}_Strip00_Slice${String(s).padStart(2, '0')}_Position00`;
      await writePng(join(images, `${stem}.png`), boxBlur(tex, size, Math.abs(z)), size);
      rows.push(`${stem}.tif,${slide},0,${s},0,${(50 + 10 * Math.abs(z)).toFixed(4)},${z}`);
      fx.names.push(`${stem}.tif`);
      fx.absZ.push(Math.abs(z));
      fx.slides.push(slide);
    }
  }
  writeFileSync(fx.list, rows.join('\n') + '\n');
  return fx;
}

export interface TcgaFixture {
  list: string;
  images: string;
  paths: string[];
  labels: number[];
}

/** TCGA@Focus layout: per slide, one in-focus and one out-of-focus (blur 4) patch. */
export async function writeTcgaFixture(dir: string, options: { slides?: number; size?: number } = {}): Promise<TcgaFixture> {
  const slides = options.slides ?? 4;
  const size = options.size ?? 256;
  const rows: string[] = [];
  const fx: TcgaFixture = { list: join(dir, 'tcga.txt'), images: join(dir, 'tcga'), paths: [], labels: [] };
  for (let s = 0; s < slides; s++) {
    const tex = texture(size, 900 + s);
    for (const label of [0, 1]) {
      const top = label ? 'Out of Focus' : 'In Focus';
      const rel = `${top}/Kidney/TCGA-XX-${String(s).padStart(4, '0')}-01Z/patch_i_${100 * s}_j_${label}.png`;
      await writePng(join(fx.images, ...rel.split('/')), boxBlur(tex, size, label ? 4 : 0), size);
      rows.push(`${rel},Kidney,0,${label}`);
      fx.paths.push(rel);
      fx.labels.push(label);
    }
  }
  writeFileSync(fx.list, rows.join('\n') + '\n');
  return fx;
}

/** 1-kernel model: a Laplacian on grey (same weights on R, G, B), so sharp images score lower. */
export function laplacianModel(): FocusLiteModel {
  const w = new Float32Array(147);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < 7; y++) {
      for (let x = 0; x < 7; x++) {
        const d = Math.max(Math.abs(y - 3), Math.abs(x - 3));
        w[c * 49 + y * 7 + x] = d === 0 ? 8 / 3 : d === 1 ? -1 / 3 : 0;
      }
    }
  }
  return createModel({ kernels: 1, convWeight: w, convBias: [0], provenance: { source: 'test: Laplacian' } });
}

/** Write the Laplacian model as focuslite JSON weights. */
export function writeLaplacianModel(path: string): string {
  writeFileSync(path, serializeModel(laplacianModel()));
  return path;
}
