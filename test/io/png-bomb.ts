/**
 * Decompression bombs for tests: a constant-colour PNG of any size, a few MB on disk (a 30000 x
 * 30000 one is about 2.8 MB), written in well under a second. Making one with sharp takes over a
 * minute, because deflate has to chew through the 2.7 GB of raw rows.
 *
 * How: row 0 uses the Sub filter (one pixel, then zero differences) and every other row the Up
 * filter (all zeros). Such rows are deflated once in a block of whole rows long enough to fill
 * deflate's 32 KB window, flushed to a byte boundary (Z_SYNC_FLUSH); since the window before every
 * later block holds the same bytes, that block's compressed bytes can simply be repeated. The
 * zlib Adler-32 of the repeated data is combined arithmetically (zlib's adler32_combine).
 */
import { constants, createDeflateRaw, type DeflateRaw } from 'node:zlib';
import { crc32 } from '../../src/io/torch/zip.js';

const ADLER_BASE = 65521;
const WINDOW = 32 * 1024;

function adler32(bytes: Uint8Array, start = 1): number {
  let a = start & 0xffff, b = (start >>> 16) & 0xffff;
  for (let i = 0; i < bytes.length;) {
    // 5552 bytes at most between reductions keeps the sums exact in doubles (zlib's NMAX).
    const end = Math.min(bytes.length, i + 5552);
    for (; i < end; i++) { a += bytes[i]!; b += a; }
    a %= ADLER_BASE;
    b %= ADLER_BASE;
  }
  return (b * 65536 + a) >>> 0;
}

/** Adler-32 of A followed by B from adler(A), adler(B) and B's length (zlib's adler32_combine). */
function adler32Combine(adler1: number, adler2: number, len2: number): number {
  const rem = len2 % ADLER_BASE;
  let sum1 = adler1 & 0xffff;
  let sum2 = (rem * sum1) % ADLER_BASE;
  sum1 += (adler2 & 0xffff) + ADLER_BASE - 1;
  sum2 += ((adler1 >>> 16) & 0xffff) + ((adler2 >>> 16) & 0xffff) + ADLER_BASE - rem;
  if (sum1 >= ADLER_BASE) sum1 -= ADLER_BASE;
  if (sum1 >= ADLER_BASE) sum1 -= ADLER_BASE;
  if (sum2 >= 2 * ADLER_BASE) sum2 -= 2 * ADLER_BASE;
  if (sum2 >= ADLER_BASE) sum2 -= ADLER_BASE;
  return (sum2 * 65536 + sum1) >>> 0;
}

/** Writes `data`, then a sync flush; resolves with the compressed bytes produced by both. */
function deflateStep(z: DeflateRaw, data: Uint8Array | null, finish = false): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const onData = (c: Buffer): void => { parts.push(c); };
    z.on('data', onData);
    z.once('error', reject);
    const done = (): void => { z.off('data', onData); resolve(Buffer.concat(parts)); };
    if (data) z.write(data);
    if (finish) {
      z.once('end', done);
      z.end();
    } else {
      z.flush(constants.Z_SYNC_FLUSH, () => setImmediate(done));
    }
  });
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** An 8-bit RGB PNG of `width` x `height` pixels, all of colour `rgb`. */
export async function constantPng(width: number, height: number, rgb: [number, number, number]): Promise<Buffer> {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 2) throw new Error(`bad size ${width}x${height}`);
  const rowLen = 1 + 3 * width;
  const first = new Uint8Array(rowLen);
  first[0] = 1; // Sub
  first.set(rgb, 1);
  const up = new Uint8Array(rowLen);
  up[0] = 2; // Up: same as the row above
  const perBlock = Math.ceil(WINDOW / rowLen);
  const block = new Uint8Array(perBlock * rowLen);
  for (let r = 0; r < perBlock; r++) block.set(up, r * rowLen);
  const upRows = height - 1;
  const blocks = Math.floor(upRows / perBlock);
  const tail = new Uint8Array((upRows - blocks * perBlock) * rowLen);
  for (let r = 0; r * rowLen < tail.length; r++) tail.set(up, r * rowLen);

  const z = createDeflateRaw({ level: 9 });
  const parts: Buffer[] = [await deflateStep(z, first)];
  let adler = adler32(first);
  if (blocks > 0) {
    parts.push(await deflateStep(z, block));
    const again = await deflateStep(z, block); // compressed with a window of `block` bytes only: repeatable
    for (let i = 1; i < blocks; i++) parts.push(again);
    const blockAdler = adler32(block);
    for (let i = 0; i < blocks; i++) adler = adler32Combine(adler, blockAdler, block.length);
  }
  parts.push(await deflateStep(z, tail.length ? tail : null, true));
  adler = adler32Combine(adler, adler32(tail), tail.length);

  const trailer = Buffer.alloc(4);
  trailer.writeUInt32BE(adler, 0);
  const zlibStream = Buffer.concat([Buffer.from([0x78, 0xda]), ...parts, trailer]);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit, RGB, deflate, adaptive filtering, no interlace
  const idats: Buffer[] = [];
  for (let i = 0; i < zlibStream.length; i += 1 << 20) idats.push(chunk('IDAT', zlibStream.subarray(i, i + (1 << 20))));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), ...idats, chunk('IEND', new Uint8Array(0))]);
}
