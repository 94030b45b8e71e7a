/**
 * The seeded random numbers of focuslite, in one place (pure TS): one draw interface (Uint32Rng)
 * over two streams, and deriveSeed.
 * - Rng (xoshiro128**, seeded through splitmix32) for training and splits: its whole state is four
 *   uint32 words, so a checkpoint can store it and a resumed run draws exactly the numbers an
 *   uninterrupted run would have drawn.
 * - Mulberry32 for synthetic images (textures, sensor noise, crop plans): one word of state, a few
 *   ns per draw.
 * Both streams are pinned by golden values (test/core/random.test.ts): datasets and models made
 * with a seed stay byte-identical, so neither may change silently.
 */
import { integer, seed as checkSeed } from './check.js';

export type RngState = [number, number, number, number];

/** What the generators here share: draws built on a uint32 stream. */
export abstract class Uint32Rng {
  abstract nextUint32(): number;

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** Uniform integer in [0, n); n up to 2^32. */
  int(n: number): number {
    integer('range', n, 1, 4294967296);
    return Math.floor(this.uniform() * n);
  }
}

export class Rng extends Uint32Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number | RngState) {
    super();
    if (Array.isArray(seed)) {
      if (seed.length !== 4 || seed.some((v) => !Number.isInteger(v) || v < 0 || v > 0xffffffff)) {
        throw new Error(`Expected four uint32 words for an RNG state but received ${JSON.stringify(seed)}`);
      }
      if (seed.every((v) => v === 0)) throw new Error('An all-zero RNG state is invalid');
      [this.s0, this.s1, this.s2, this.s3] = seed;
      return;
    }
    checkSeed(seed);
    // splitmix32 spreads nearby seeds (1, 2, 3...) over unrelated states.
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** Next uint32. */
  nextUint32(): number {
    const s1 = this.s1;
    const r = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return r;
  }


  /** Fisher-Yates shuffle in place. */
  shuffle<T>(items: T[] | Int32Array | Uint32Array): void {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = items[i]!;
      items[i] = items[j]!;
      items[j] = t as never;
    }
  }

  getState(): RngState {
    return [this.s0, this.s1, this.s2, this.s3];
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * Deterministic PRNG (mulberry32: 32-bit state, period 2^32). Small and fast (a few ns per draw),
 * which matters for per-pixel noise and textures; plenty for that, not for cryptography or for
 * drawing more than ~10^9 numbers from one seed. The state is kept as an int32 so V8 keeps it
 * unboxed.
 */
export class Mulberry32 extends Uint32Rng {
  private a: number;

  constructor(seed: number) {
    super();
    checkSeed(seed);
    this.a = seed | 0;
  }

  /** Next uint32. */
  nextUint32(): number {
    this.a = (this.a + 0x6d2b79f5) | 0;
    let t = Math.imul(this.a ^ (this.a >>> 15), 1 | this.a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  }

}

/**
 * Derive an independent uint32 seed from a base seed and any integers or strings (e.g. tile
 * hash, z-level, purpose), so each image's randomness is fixed by what it is, not by run order.
 * FNV-1a over the parts' text, finished with a murmur3 mix.
 */
export function deriveSeed(seed: number, ...parts: Array<number | string>): number {
  let h = 0x811c9dc5;
  const text = [String(seed >>> 0), ...parts.map(String)].join('\u0000');
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
