/**
 * Reusable work buffers for the measures (pure TS). Scoring a 1024² image touches tens of MB of
 * fresh typed arrays (gray plane, filter responses, masked pairs); the page faults of first touch
 * cost as much as the arithmetic, so each measure keeps its big buffers in named slots and reuses
 * them from one image (or crop) to the next. JavaScript runs a measure start to finish without
 * interleaving, so a slot is never used by two computations at once as long as one computation
 * does not use a slot twice (slot names carry the module's name).
 *
 * Memory stays bounded: `trimScratch()` (called after every scored image) drops buffers over
 * KEEP_BYTES, so one huge image does not pin its buffers for the life of the process.
 */
const KEEP_BYTES = 32 * 1024 * 1024;

const f64Slots = new Map<string, Float64Array>();
const u8Slots = new Map<string, Uint8Array>();

/** A Float64Array of `length` values (contents unspecified) from slot `name`. */
export function scratchF64(name: string, length: number): Float64Array {
  let buf = f64Slots.get(name);
  if (!buf || buf.length < length) {
    buf = new Float64Array(length);
    f64Slots.set(name, buf);
  }
  return buf.length === length ? buf : buf.subarray(0, length);
}

/** A Uint8Array of `length` bytes (contents unspecified) from slot `name`. */
export function scratchU8(name: string, length: number): Uint8Array {
  let buf = u8Slots.get(name);
  if (!buf || buf.length < length) {
    buf = new Uint8Array(length);
    u8Slots.set(name, buf);
  }
  return buf.length === length ? buf : buf.subarray(0, length);
}

/** Drop the buffers larger than KEEP_BYTES (all of them with `all`). */
export function trimScratch(all = false): void {
  for (const [k, v] of f64Slots) if (all || v.byteLength > KEEP_BYTES) f64Slots.delete(k);
  for (const [k, v] of u8Slots) if (all || v.byteLength > KEEP_BYTES) u8Slots.delete(k);
}

/** Bytes held (for tests). */
export function scratchBytes(): number {
  let n = 0;
  for (const v of f64Slots.values()) n += v.byteLength;
  for (const v of u8Slots.values()) n += v.byteLength;
  return n;
}
