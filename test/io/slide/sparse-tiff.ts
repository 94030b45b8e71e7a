/**
 * Large TIFFs for tests, written in milliseconds: RGB 8-bit pages of any size whose tiles (or
 * strips) are Deflate-compressed, where every blank block shares ONE stored copy of its data
 * (TIFF allows offsets to repeat). A 20000x20000 tiled page of glass with a patch of "tissue"
 * takes a few hundred kilobytes and no pixel work beyond the patch, where sharp/libvips would
 * need seconds to encode 400 MP. libvips and OpenSlide read these like any other TIFF.
 */
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

export interface SparseTiffOptions {
  width: number;
  height: number;
  /** tiled pages: tile side (multiple of 16); stripped pages: leave undefined */
  tile?: number;
  /** stripped pages: rows per strip (default 64) */
  rowsPerStrip?: number;
  /** 8 = Deflate (default) or 1 = uncompressed */
  compression?: 1 | 8;
  /** RGB of blank blocks */
  /** RGB of blank blocks (tissuePatch assumes 240,240,238) */
  background: readonly [number, number, number];
  /**
   * Pixels of the block whose top-left is (x, y), w x h (clipped blocks at the edges are still
   * full size in a tiled TIFF), or null for background. Called once per block.
   */
  block?: (x: number, y: number, w: number, h: number) => Uint8Array | null;
}

/** Deterministic H&E-like texture: pink/purple noise, as RGB bytes. */
export function tissueTexture(x0: number, y0: number, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      // integer hash of the absolute position, so neighbouring blocks join seamlessly
      let v = Math.imul((x0 + x) * 73856093 ^ (y0 + y) * 19349663, 0x9e3779b1) >>> 24;
      v = (v + (((x0 + x) >> 3) & 31) * 4) & 255;
      const o = (y * w + x) * 3;
      out[o] = 150 + (v >> 2);
      out[o + 1] = 60 + (v >> 3);
      out[o + 2] = 140 + (v >> 2);
    }
  }
  return out;
}

/** The expected pixel at (x, y) of a page written with `opts` (for checks); `cache` keeps computed blocks. */
export function sparsePixel(opts: SparseTiffOptions, x: number, y: number, cache = new Map<string, Uint8Array | null>()): [number, number, number] {
  const side = opts.tile;
  const bw = side ?? opts.width;
  const bh = side ?? (opts.rowsPerStrip ?? 64);
  const bx = Math.floor(x / bw) * bw;
  const by = Math.floor(y / bh) * bh;
  const w = side ?? opts.width;
  const h = side ?? Math.min(bh, opts.height - by);
  const key = `${bx},${by}`;
  let data = cache.get(key);
  if (data === undefined) {
    data = opts.block?.(bx, by, w, h) ?? null;
    cache.set(key, data);
  }
  if (!data) return [...opts.background] as [number, number, number];
  const o = ((y - by) * w + (x - bx)) * 3;
  return [data[o]!, data[o + 1]!, data[o + 2]!];
}

function fill(w: number, h: number, rgb: readonly [number, number, number]): Uint8Array {
  const out = new Uint8Array(w * h * 3);
  for (let i = 0; i < out.length; i += 3) {
    out[i] = rgb[0];
    out[i + 1] = rgb[1];
    out[i + 2] = rgb[2];
  }
  return out;
}

/** Little-endian classic TIFF bytes (see the file comment). */
export function sparseTiff(opts: SparseTiffOptions): Uint8Array {
  const compression = opts.compression ?? 8;
  const encode = (raw: Uint8Array): Uint8Array => (compression === 8 ? deflateSync(raw, { level: 1 }) : raw);
  const tiled = opts.tile !== undefined;
  const bw = opts.tile ?? opts.width;
  const bh = opts.tile ?? (opts.rowsPerStrip ?? 64);
  const cols = Math.ceil(opts.width / bw);
  const rows = Math.ceil(opts.height / bh);
  const chunks: Uint8Array[] = [];
  let size = 8;
  const put = (bytes: Uint8Array): number => {
    const at = size;
    chunks.push(bytes);
    size += bytes.length;
    if (size & 1) {
      chunks.push(new Uint8Array(1));
      size++;
    }
    return at;
  };
  const blanks = new Map<number, { at: number; length: number }>();
  const offsets: number[] = [];
  const counts: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const x = c * bw, y = r * bh;
      const h = tiled ? bh : Math.min(bh, opts.height - y);
      const data = opts.block?.(x, y, bw, h) ?? null;
      if (data) {
        const enc = encode(data);
        offsets.push(put(enc));
        counts.push(enc.length);
        continue;
      }
      let blank = blanks.get(h);
      if (!blank) {
        const enc = encode(fill(bw, h, opts.background));
        blank = { at: put(enc), length: enc.length };
        blanks.set(h, blank);
      }
      offsets.push(blank.at);
      counts.push(blank.length);
    }
  }
  // IFD entries: [tag, type, values]; arrays longer than one LONG go out of line.
  const fields: Array<[number, number, number[]]> = [
    [256, 4, [opts.width]],
    [257, 4, [opts.height]],
    [258, 3, [8, 8, 8]],
    [259, 3, [compression]],
    [262, 3, [2]],
  ];
  if (!tiled) fields.push([273, 4, offsets]);
  fields.push([277, 3, [3]]);
  if (!tiled) fields.push([278, 4, [bh]], [279, 4, counts]);
  fields.push([284, 3, [1]]);
  if (tiled) fields.push([322, 4, [bw]], [323, 4, [bh]], [324, 4, offsets], [325, 4, counts]);
  const typeSize = (t: number): number => (t === 3 ? 2 : 4);
  const outOfLine = fields.map(([, type, values]) => {
    if (values.length * typeSize(type) <= 4) return -1;
    const buf = new Uint8Array(values.length * typeSize(type));
    const v = new DataView(buf.buffer);
    values.forEach((n, i) => (type === 3 ? v.setUint16(i * 2, n, true) : v.setUint32(i * 4, n, true)));
    return put(buf);
  });
  const ifd = new Uint8Array(2 + fields.length * 12 + 4);
  const v = new DataView(ifd.buffer);
  v.setUint16(0, fields.length, true);
  fields.forEach(([tag, type, values], i) => {
    const o = 2 + i * 12;
    v.setUint16(o, tag, true);
    v.setUint16(o + 2, type, true);
    v.setUint32(o + 4, values.length, true);
    if (outOfLine[i]! >= 0) v.setUint32(o + 8, outOfLine[i]!, true);
    else values.forEach((n, j) => (type === 3 ? v.setUint16(o + 8 + j * 2, n, true) : v.setUint32(o + 8, n, true)));
  });
  const ifdAt = put(ifd);
  const out = new Uint8Array(size);
  out.set([0x49, 0x49, 42, 0]);
  new DataView(out.buffer).setUint32(4, ifdAt, true);
  let at = 8;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

export function writeSparseTiff(path: string, opts: SparseTiffOptions): void {
  writeFileSync(path, sparseTiff(opts));
}

/** Block contents for a page of background with one rectangle of tissueTexture. */
export function tissuePatch(px: number, py: number, pw: number, ph: number): SparseTiffOptions['block'] {
  return (x, y, w, h) => {
    if (x >= px + pw || y >= py + ph || x + w <= px || y + h <= py) return null;
    const tex = tissueTexture(x, y, w, h);
    for (let r = 0; r < h; r++) {
      for (let c = 0; c < w; c++) {
        if (x + c >= px && x + c < px + pw && y + r >= py && y + r < py + ph) continue;
        const o = (r * w + c) * 3;
        tex[o] = 240;
        tex[o + 1] = 240;
        tex[o + 2] = 238;
      }
    }
    return tex;
  };
}
