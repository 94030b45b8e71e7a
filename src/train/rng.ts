/**
 * Seeded pseudo-random generator for training (xoshiro128**, seeded through splitmix32). Pure TS.
 * Its whole state is four uint32 words, so a checkpoint can store it and a resumed run draws
 * exactly the numbers an uninterrupted run would have drawn.
 */

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
    if (!Number.isInteger(n) || n < 1 || n > 4294967296) throw new Error(`Expected integer between 1 and 4294967296 for range but received ${n}`);
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
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new Error(`Expected integer between 0 and 4294967295 for seed but received ${seed}`);
    }
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
