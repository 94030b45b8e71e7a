/** Shared test helpers: locating ../shared (real data, never committed) and small fixtures. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

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

/** Deterministic pseudo-random generator (mulberry32) for tests. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
