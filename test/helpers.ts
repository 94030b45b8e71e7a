/** Shared test helpers: locating ../shared (real data, never committed) and small fixtures. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Mulberry32 } from '../src/core/random.js';

/** Project root (tests run from dist/test/..., so walk up to the folder holding package.json). */
export const projectRoot = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above the test folder');
    dir = up;
  }
  return dir;
})();

export const sharedDir = resolve(projectRoot, '..', 'shared');

/** Path inside ../shared. */
export function sharedPath(...parts: string[]): string {
  return join(sharedDir, ...parts);
}

/**
 * Options for `test(name, sharedOnly(), fn)`: skip with a clear message only when ../shared is
 * absent (a user's fresh clone). In CI (CI=true) ../shared must be there, so a missing folder fails.
 */
export function sharedOnly(): { skip: string | false } {
  if (existsSync(sharedDir)) return { skip: false };
  if (process.env.CI) throw new Error(`CI run without ../shared at ${sharedDir}`);
  return { skip: `../shared not found at ${sharedDir}: real-data test skipped` };
}

/** Deterministic uniform [0, 1) draws for tests: the library's Mulberry32 stream. */
export function rng(seed: number): () => number {
  const m = new Mulberry32(seed);
  return () => m.uniform();
}

/**
 * The tests' one synthetic texture: smooth structure (sines whose frequencies follow the seed)
 * plus seeded noise, `channels` interleaved bytes per pixel. Every crop of it has detail, so every
 * measure and model has something to see; different seeds give different images.
 */
export function texture(width: number, height: number, seed: number, channels = 3): Uint8Array {
  const r = rng(seed);
  const out = new Uint8Array(width * height * channels);
  const fx = 5 + (seed % 7), fy = 9 + (seed % 5);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        const v = 128 + 70 * Math.sin(x / fx + c) * Math.cos(y / fy - c) + (r() - 0.5) * 60;
        out[(y * width + x) * channels + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return out;
}
