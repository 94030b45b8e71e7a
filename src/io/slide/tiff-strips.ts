/**
 * Random access to stripped TIFF pages. libvips decodes strips only from the top of a page (its
 * strip loader is sequential), so a region near the bottom of a 12000-row page would decode every
 * row above it, once per region. Instead, the strips under a region are read here (their offsets
 * come from the file, a few at a time) and rewrapped as a small TIFF of their own: the page's
 * decoding tags copied verbatim, a new height, new strip offsets. libvips then decodes only those
 * strips. Uncompressed pages are cut by rows (any row can be addressed), so even a page stored as
 * one huge strip is read a band at a time.
 *
 * Pure byte work over a ByteSource; no decoding here.
 */
import type { ByteSource } from './source.js';
import { TiffTag, entryIntegers, tiffTypeSize, type TiffDirectory, type TiffEntry } from './tiff-tags.js';

/** Tags that affect how strip pixels decode; everything else (descriptions, ICC, vendor tags) is left out. */
const DECODE_TAGS: readonly number[] = [
  TiffTag.ImageWidth,
  TiffTag.BitsPerSample,
  TiffTag.Compression,
  TiffTag.Photometric,
  266, // FillOrder
  TiffTag.SamplesPerPixel,
  TiffTag.PlanarConfiguration,
  317, // Predictor
  320, // ColorMap
  338, // ExtraSamples
  339, // SampleFormat
  TiffTag.JPEGTables,
  529, // YCbCrCoefficients
  530, // YCbCrSubSampling
  531, // YCbCrPositioning
  532, // ReferenceBlackWhite
];

// A copied value larger than this is not a decoding table (ColorMap of 16-bit palettes is 384 KiB).
const MAX_COPIED_VALUE = 1 << 20;

/** The byte order and flavour the rewrapped TIFF keeps (values are copied verbatim). */
export interface TiffFlavour {
  readonly littleEndian: boolean;
  readonly bigTiff: boolean;
}

/** Strip geometry of a page, checked once when the slide is opened. */
export interface StripGeometry {
  readonly rowsPerStrip: number;
  /** strips per sample plane (planar configuration 2 stores one set per sample) */
  readonly stripsPerPlane: number;
  readonly planes: number;
  /** bytes of one decoded row of one plane, for uncompressed pages (0 otherwise) */
  readonly rawRowBytes: number;
  /** largest decoded size of one strip, in bytes (what libvips holds while decoding it) */
  readonly decodedStripBytes: number;
}

/** Why a stripped page cannot be read by regions here, or its geometry. */
export function stripGeometry(dir: TiffDirectory): { ok: true; geometry: StripGeometry } | { ok: false; reason: string } {
  if (dir.tileWidth !== null) return { ok: false, reason: 'the page is tiled' };
  const offsets = dir.entries.get(TiffTag.StripOffsets);
  const counts = dir.entries.get(TiffTag.StripByteCounts);
  if (!offsets || !counts) return { ok: false, reason: 'the page has no StripOffsets/StripByteCounts' };
  const rowsPerStrip = Math.min(dir.height, dir.rowsPerStrip ?? dir.height) || dir.height;
  const stripsPerPlane = Math.ceil(dir.height / rowsPerStrip);
  const planes = dir.planarConfiguration === 2 ? dir.samplesPerPixel : 1;
  if (offsets.count < stripsPerPlane * planes || counts.count < stripsPerPlane * planes) {
    return { ok: false, reason: `the page lists ${Math.min(offsets.count, counts.count)} strips but needs ${stripsPerPlane * planes}` };
  }
  const samplesPerRow = dir.width * (planes === 1 ? dir.samplesPerPixel : 1);
  const rowBytes = Math.ceil((samplesPerRow * dir.bitsPerSample) / 8);
  // Uncompressed YCbCr is stored subsampled in blocks, not as plain rows: cut by strips only.
  const rawRowBytes = dir.compression === 1 && dir.photometric !== 6 ? rowBytes : 0;
  return { ok: true, geometry: { rowsPerStrip, stripsPerPlane, planes, rawRowBytes, decodedStripBytes: rowBytes * planes * rowsPerStrip } };
}

/** One rewrapped band: the TIFF bytes and the page rows it holds. */
export interface StripBand {
  readonly top: number;
  readonly rows: number;
  readonly tiff: Uint8Array;
}

/** A byte range of the file, or (offset -1) several ranges read back to back. */
interface Piece {
  readonly offset: number;
  readonly length: number;
  readonly parts?: readonly Piece[];
}

/**
 * Row ranges [top, bottom) covering rows y0..y1 of the page, each of whose strips take at most
 * about `maxBytes` of file data (a band always holds at least one strip, or one row when
 * uncompressed).
 */
export async function planStripBands(
  src: ByteSource,
  flavour: TiffFlavour,
  dir: TiffDirectory,
  g: StripGeometry,
  y0: number,
  y1: number,
  maxBytes: number,
): Promise<Array<{ top: number; bottom: number }>> {
  if (g.rawRowBytes > 0) {
    const rowsPerBand = Math.max(1, Math.floor(maxBytes / (g.rawRowBytes * g.planes)));
    const out: Array<{ top: number; bottom: number }> = [];
    for (let top = y0; top < y1; top += rowsPerBand) out.push({ top, bottom: Math.min(y1, top + rowsPerBand) });
    return out;
  }
  const s0 = Math.floor(y0 / g.rowsPerStrip);
  const s1 = Math.ceil(y1 / g.rowsPerStrip);
  const counts = await entryIntegers(src, flavour.littleEndian, dir.entries.get(TiffTag.StripByteCounts)!, s0, s1 - s0);
  const out: Array<{ top: number; bottom: number }> = [];
  let start = s0;
  let bytes = 0;
  for (let s = s0; s < s1; s++) {
    const b = counts[s - s0]! * g.planes;
    if (s > start && bytes + b > maxBytes) {
      out.push({ top: start * g.rowsPerStrip, bottom: s * g.rowsPerStrip });
      start = s;
      bytes = 0;
    }
    bytes += b;
  }
  out.push({ top: start * g.rowsPerStrip, bottom: Math.min(dir.height, s1 * g.rowsPerStrip) });
  // The first and last bands may start above y0 / end below y1: only whole strips are decoded.
  return out;
}

/** File ranges holding rows [top, bottom) of each plane, and the strip layout of the new TIFF. */
async function bandPieces(src: ByteSource, flavour: TiffFlavour, dir: TiffDirectory, g: StripGeometry, top: number, bottom: number): Promise<{ pieces: Piece[][]; stripRows: number }> {
  const s0 = Math.floor(top / g.rowsPerStrip);
  const s1 = Math.ceil(bottom / g.rowsPerStrip);
  const offsetsEntry = dir.entries.get(TiffTag.StripOffsets)!;
  const countsEntry = dir.entries.get(TiffTag.StripByteCounts)!;
  const pieces: Piece[][] = [];
  for (let p = 0; p < g.planes; p++) {
    const first = p * g.stripsPerPlane + s0;
    const offsets = await entryIntegers(src, flavour.littleEndian, offsetsEntry, first, s1 - s0);
    const counts = await entryIntegers(src, flavour.littleEndian, countsEntry, first, s1 - s0);
    const plane: Piece[] = [];
    for (let i = 0; i < s1 - s0; i++) {
      const s = s0 + i;
      let offset = offsets[i]!;
      let length = counts[i]!;
      if (g.rawRowBytes > 0) {
        // Uncompressed: only the rows wanted, addressed inside the strip.
        const from = Math.max(top, s * g.rowsPerStrip) - s * g.rowsPerStrip;
        const to = Math.min(bottom, (s + 1) * g.rowsPerStrip) - s * g.rowsPerStrip;
        offset += from * g.rawRowBytes;
        length = (to - from) * g.rawRowBytes;
        if (counts[i]! < to * g.rawRowBytes) throw new Error(`corrupt TIFF: strip ${s} holds ${counts[i]} bytes, fewer than its ${to} rows need`);
      }
      if (offset + length > src.size) throw new Error(`corrupt TIFF: strip ${s} (bytes ${offset}..${offset + length}) lies beyond the end of the file (${src.size} bytes)`);
      plane.push({ offset, length });
    }
    pieces.push(g.rawRowBytes > 0 ? [mergePieces(plane)] : plane);
  }
  return { pieces, stripRows: g.rawRowBytes > 0 ? bottom - top : g.rowsPerStrip };
}

/** Adjacent uncompressed row ranges as one range (they are contiguous when strips are). */
function mergePieces(plane: Piece[]): Piece {
  const first = plane[0]!;
  const contiguous = plane.every((p, i) => i === 0 || p.offset === plane[i - 1]!.offset + plane[i - 1]!.length);
  if (contiguous) return { offset: first.offset, length: plane.reduce((a, p) => a + p.length, 0) };
  return { offset: -1, length: plane.reduce((a, p) => a + p.length, 0), parts: plane };
}

async function readPiece(src: ByteSource, piece: Piece): Promise<Uint8Array> {
  if (piece.offset >= 0) return src.read(piece.offset, piece.length);
  const out = new Uint8Array(piece.length);
  let at = 0;
  for (const part of piece.parts!) {
    out.set(await src.read(part.offset, part.length), at);
    at += part.length;
  }
  return out;
}

class ByteWriter {
  private readonly view: DataView;
  constructor(readonly bytes: Uint8Array, private readonly le: boolean) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u16(at: number, v: number): void {
    this.view.setUint16(at, v, this.le);
  }
  u32(at: number, v: number): void {
    this.view.setUint32(at, v, this.le);
  }
  u64(at: number, v: number): void {
    this.view.setBigUint64(at, BigInt(v), this.le);
  }
}

interface OutEntry {
  tag: number;
  type: number;
  count: number;
  /** value bytes in the file's byte order */
  value: Uint8Array;
}

function intArrayBytes(values: readonly number[], type: 4 | 16, le: boolean): Uint8Array {
  const size = type === 4 ? 4 : 8;
  const out = new Uint8Array(values.length * size);
  const w = new ByteWriter(out, le);
  values.forEach((v, i) => (type === 4 ? w.u32(i * 4, v) : w.u64(i * 8, v)));
  return out;
}

async function copiedValue(src: ByteSource, e: TiffEntry, tag: number): Promise<Uint8Array> {
  if (e.inline) return e.inline;
  const bytes = e.count * tiffTypeSize(e.type);
  if (e.valueOffset < 0 || bytes > MAX_COPIED_VALUE) throw new Error(`corrupt TIFF: tag ${tag} holds ${bytes} bytes at an unusable offset`);
  return src.read(e.valueOffset, bytes);
}

/**
 * Rows [top, bottom) of a stripped page as a TIFF of their own (same byte order and flavour),
 * whose first row is page row `top`. `top` must be a strip boundary unless the page is
 * uncompressed (planStripBands gives such ranges).
 */
export async function readStripBand(src: ByteSource, flavour: TiffFlavour, dir: TiffDirectory, g: StripGeometry, top: number, bottom: number): Promise<StripBand> {
  const le = flavour.littleEndian;
  const big = flavour.bigTiff;
  const { pieces, stripRows } = await bandPieces(src, flavour, dir, g, top, bottom);
  const rows = bottom - top;
  const entries: OutEntry[] = [];
  for (const tag of DECODE_TAGS) {
    const e = dir.entries.get(tag);
    if (e && tiffTypeSize(e.type) > 0) entries.push({ tag, type: e.type, count: e.count, value: await copiedValue(src, e, tag) });
  }
  const data = await Promise.all(pieces.flat().map((p) => readPiece(src, p)));
  const offType = big ? 16 : 4;
  const lengths = data.map((d) => d.length);
  entries.push(
    { tag: TiffTag.ImageLength, type: 4, count: 1, value: intArrayBytes([rows], 4, le) },
    { tag: TiffTag.RowsPerStrip, type: 4, count: 1, value: intArrayBytes([stripRows], 4, le) },
    // Offsets are filled in once the layout is known; byte counts are final now.
    { tag: TiffTag.StripOffsets, type: offType, count: data.length, value: intArrayBytes(lengths.map(() => 0), offType, le) },
    { tag: TiffTag.StripByteCounts, type: offType, count: data.length, value: intArrayBytes(lengths, offType, le) },
  );
  entries.sort((a, b) => a.tag - b.tag);

  // Layout: header, IFD, out-of-line values, strip data (word-aligned).
  const headerBytes = big ? 16 : 8;
  const entryBytes = big ? 20 : 12;
  const inlineBytes = big ? 8 : 4;
  const ifdBytes = (big ? 8 : 2) + entries.length * entryBytes + (big ? 8 : 4);
  const align = (n: number): number => n + (n & 1);
  let at = headerBytes + ifdBytes;
  const valueAt = entries.map((e) => {
    if (e.value.length <= inlineBytes) return -1;
    const here = at;
    at = align(at + e.value.length);
    return here;
  });
  const dataAt = data.map((d) => {
    const here = at;
    at = align(at + d.length);
    return here;
  });
  const out = new Uint8Array(at);
  const w = new ByteWriter(out, le);
  out[0] = out[1] = le ? 0x49 : 0x4d;
  w.u16(2, big ? 43 : 42);
  if (big) {
    w.u16(4, 8);
    w.u16(6, 0);
    w.u64(8, headerBytes);
  } else {
    w.u32(4, headerBytes);
  }
  const offsetsIndex = entries.findIndex((e) => e.tag === TiffTag.StripOffsets);
  entries[offsetsIndex]!.value = intArrayBytes(dataAt, offType, le);
  let p = headerBytes;
  if (big) w.u64(p, entries.length);
  else w.u16(p, entries.length);
  p += big ? 8 : 2;
  entries.forEach((e, i) => {
    w.u16(p, e.tag);
    w.u16(p + 2, e.type);
    if (big) w.u64(p + 4, e.count);
    else w.u32(p + 4, e.count);
    const field = p + (big ? 12 : 8);
    if (valueAt[i]! < 0) out.set(e.value, field);
    else {
      if (big) w.u64(field, valueAt[i]!);
      else w.u32(field, valueAt[i]!);
      out.set(e.value, valueAt[i]!);
    }
    p += entryBytes;
  });
  // next-IFD pointer stays 0
  data.forEach((d, i) => out.set(d, dataAt[i]!));
  return { top, rows, tiff: out };
}
