/**
 * The raw tiles of a classic little-endian TIFF (such as the shared Aperio SVS files), for tests
 * that re-wrap a real slide's compressed tiles as DICOM frames. Reads the whole file: test data.
 */
import { readFileSync } from 'node:fs';

export interface TiffTiledPage {
  readonly width: number;
  readonly height: number;
  readonly tileWidth: number;
  readonly tileHeight: number;
  readonly compression: number;
  readonly photometric: number;
  /** Compressed tiles, row-major. */
  readonly tiles: Uint8Array[];
  /** JPEGTables (an abbreviated stream: SOI, tables, EOI), when present. */
  readonly jpegTables: Uint8Array | null;
}

const SIZES: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 7: 1, 16: 8 };

/** Tiled pages of the file, in IFD order. */
export function tiffTiledPages(path: string): TiffTiledPage[] {
  const file = readFileSync(path);
  const b = new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (v.getUint16(0, true) !== 0x4949 || v.getUint16(2, true) !== 42) throw new Error(`${path}: not a little-endian classic TIFF`);
  const pages: TiffTiledPage[] = [];
  for (let ifd = v.getUint32(4, true); ifd !== 0; ) {
    const n = v.getUint16(ifd, true);
    const tags = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const o = ifd + 2 + i * 12;
      const tag = v.getUint16(o, true), type = v.getUint16(o + 2, true), count = v.getUint32(o + 4, true);
      const size = SIZES[type] ?? 1;
      const at = count * size <= 4 ? o + 8 : v.getUint32(o + 8, true);
      const values: number[] = [];
      if (tag === 347) values.push(at, count); // JPEGTables: where and how long
      else for (let k = 0; k < Math.min(count, 1 << 20); k++) values.push(size === 2 ? v.getUint16(at + k * 2, true) : size === 4 ? v.getUint32(at + k * 4, true) : b[at + k]!);
      tags.set(tag, values);
    }
    ifd = v.getUint32(ifd + 2 + n * 12, true);
    const offsets = tags.get(324), counts = tags.get(325);
    if (!offsets || !counts) continue;
    const jt = tags.get(347);
    pages.push({
      width: tags.get(256)![0]!,
      height: tags.get(257)![0]!,
      tileWidth: tags.get(322)![0]!,
      tileHeight: tags.get(323)![0]!,
      compression: tags.get(259)?.[0] ?? 1,
      photometric: tags.get(262)?.[0] ?? 2,
      tiles: offsets.map((off, i) => b.slice(off, off + counts[i]!)),
      jpegTables: jt ? b.slice(jt[0]!, jt[0]! + jt[1]!) : null,
    });
  }
  return pages;
}

/** A TIFF JPEG tile made a complete JPEG stream: its tables (JPEGTables without SOI/EOI) after SOI. */
export function completeJpeg(tile: Uint8Array, tables: Uint8Array | null): Uint8Array {
  if (!tables) return tile;
  const inner = tables.subarray(2, tables.length - 2);
  const out = new Uint8Array(tile.length + inner.length);
  out.set(tile.subarray(0, 2));
  out.set(inner, 2);
  out.set(tile.subarray(2), 2 + inner.length);
  return out;
}
