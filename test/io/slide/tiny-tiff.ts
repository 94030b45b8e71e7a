/**
 * A tiny uncompressed TIFF writer for tests: RGB 8-bit pages in one strip each (or in square
 * tiles), with optional ImageDescription, Software, XMP packet, NewSubfileType, resolution tags and SubIFDs. Lets tests build the layouts
 * of vendor files (OME-TIFF, Aperio-like descriptions, SubIFD pyramids) without real slides.
 */
export interface TinyPage {
  width: number;
  height: number;
  /** RGB bytes, width * height * 3; default: a pattern from (x, y). */
  rgb?: Uint8Array;
  description?: string;
  subfileType?: number;
  /** Pixels per centimetre on both axes. */
  pixelsPerCm?: number;
  subIfds?: TinyPage[];
  /** Write the page as uncompressed tile x tile tiles (edge tiles padded with black) instead of a strip. */
  tile?: number;
  software?: string;
  /** XMP packet (tag 700, bytes): Ventana BIF keeps its iScan and EncodeInfo XML there. */
  xmp?: string;
}

/** The tiles of an RGB image, row-major, each tile x tile, padded with black. */
function tilesOf(rgb: Uint8Array, width: number, height: number, tile: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let ty = 0; ty < height; ty += tile) {
    for (let tx = 0; tx < width; tx += tile) {
      const t = new Uint8Array(tile * tile * 3);
      for (let y = 0; y < tile && ty + y < height; y++) {
        const w = Math.min(tile, width - tx);
        t.set(rgb.subarray(((ty + y) * width + tx) * 3, ((ty + y) * width + tx + w) * 3), y * tile * 3);
      }
      out.push(t);
    }
  }
  return out;
}

export function patternRgb(width: number, height: number, seed = 0): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      out[o] = (x * 3 + seed) & 255;
      out[o + 1] = (y * 5 + seed) & 255;
      out[o + 2] = ((x + y) * 2 + seed) & 255;
    }
  }
  return out;
}

class Writer {
  bytes: number[] = [];
  get pos(): number {
    return this.bytes.length;
  }
  u16(v: number): void {
    this.bytes.push(v & 255, (v >>> 8) & 255);
  }
  u32(v: number): void {
    this.bytes.push(v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255);
  }
  patch32(at: number, v: number): void {
    this.bytes[at] = v & 255;
    this.bytes[at + 1] = (v >>> 8) & 255;
    this.bytes[at + 2] = (v >>> 16) & 255;
    this.bytes[at + 3] = (v >>> 24) & 255;
  }
  raw(data: ArrayLike<number>): void {
    for (let i = 0; i < data.length; i++) this.bytes.push(data[i]!);
    if (this.bytes.length % 2) this.bytes.push(0); // keep offsets word-aligned
  }
}

type Field = [tag: number, type: number, values: number[] | string];

const isByte = (type: number): boolean => type === 1 || type === 2;

/** Write one image (its data, then its IFD); returns the IFD offset and where its next-pointer is. */
function writeImage(w: Writer, page: TinyPage): { ifd: number; nextAt: number } {
  const subOffsets = (page.subIfds ?? []).map((s) => writeImage(w, s).ifd);
  const rgb = page.rgb ?? patternRgb(page.width, page.height);
  const fields: Field[] = [];
  if (page.tile) {
    const offsets: number[] = [], counts: number[] = [];
    for (const t of tilesOf(rgb, page.width, page.height, page.tile)) {
      offsets.push(w.pos);
      counts.push(t.length);
      w.raw(t);
    }
    fields.push([322, 4, [page.tile]], [323, 4, [page.tile]], [324, 4, offsets], [325, 4, counts]);
  } else {
    const dataAt = w.pos;
    w.raw(rgb);
    fields.push([273, 4, [dataAt]], [278, 4, [page.height]], [279, 4, [rgb.length]]);
  }
  if (page.subfileType) fields.push([254, 4, [page.subfileType]]);
  fields.push([256, 4, [page.width]], [257, 4, [page.height]], [258, 3, [8, 8, 8]], [259, 3, [1]], [262, 3, [2]]);
  if (page.description !== undefined) fields.push([270, 2, page.description]);
  if (page.software !== undefined) fields.push([305, 2, page.software]);
  fields.push([277, 3, [3]]);
  if (page.pixelsPerCm) fields.push([282, 5, [page.pixelsPerCm, 1]], [283, 5, [page.pixelsPerCm, 1]]);
  fields.push([284, 3, [1]]);
  if (page.pixelsPerCm) fields.push([296, 3, [3]]);
  if (subOffsets.length) fields.push([330, 4, subOffsets]);
  if (page.xmp !== undefined) fields.push([700, 1, [...new TextEncoder().encode(page.xmp)]]);
  // IFD entries must be in ascending tag order.
  fields.sort((a, b) => a[0] - b[0]);

  // Out-of-line values first, so the IFD can point at them.
  const size: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 4 };
  const encoded = fields.map(([tag, type, values]) => {
    const nums = typeof values === 'string' ? [...new TextEncoder().encode(values), 0] : values;
    const count = type === 5 ? nums.length / 2 : nums.length;
    const bytes = nums.length * size[type]!;
    let at = -1;
    if (bytes > 4) {
      at = w.pos;
      for (const n of nums) (type === 3 ? w.u16(n) : isByte(type) ? w.bytes.push(n) : w.u32(n));
      if (w.pos % 2) w.bytes.push(0);
    }
    return { tag, type, count, nums, at };
  });
  const ifd = w.pos;
  w.u16(encoded.length);
  for (const e of encoded) {
    w.u16(e.tag);
    w.u16(e.type);
    w.u32(e.count);
    if (e.at >= 0) w.u32(e.at);
    else {
      const start = w.pos;
      for (const n of e.nums) (e.type === 3 ? w.u16(n) : isByte(e.type) ? w.bytes.push(n) : w.u32(n));
      while (w.pos < start + 4) w.bytes.push(0);
    }
  }
  const nextAt = w.pos;
  w.u32(0);
  return { ifd, nextAt };
}

/** Little-endian classic TIFF with the given pages in the main IFD chain. */
export function tinyTiff(pages: TinyPage[]): Uint8Array {
  const w = new Writer();
  w.bytes.push(0x49, 0x49);
  w.u16(42);
  w.u32(0);
  let prevNext = 4;
  for (const p of pages) {
    const { ifd, nextAt } = writeImage(w, p);
    w.patch32(prevNext, ifd);
    prevNext = nextAt;
  }
  return Uint8Array.from(w.bytes);
}
