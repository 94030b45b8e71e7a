/**
 * A small TIFF / BigTIFF directory (IFD) reader. It reads only headers, IFDs and the few tag
 * values that tell slide formats apart (sizes, tiling, compression, descriptions, resolution);
 * strip and tile offset arrays are counted, never loaded, so a slide of any size costs a few
 * small reads through a ByteSource.
 */
import { SourceRangeError, type ByteSource } from './source.js';

export const TiffTag = {
  NewSubfileType: 254,
  ImageWidth: 256,
  ImageLength: 257,
  BitsPerSample: 258,
  Compression: 259,
  Photometric: 262,
  ImageDescription: 270,
  Make: 271,
  Model: 272,
  SamplesPerPixel: 277,
  StripOffsets: 273,
  RowsPerStrip: 278,
  StripByteCounts: 279,
  XResolution: 282,
  YResolution: 283,
  PlanarConfiguration: 284,
  ResolutionUnit: 296,
  Software: 305,
  DateTime: 306,
  TileWidth: 322,
  TileLength: 323,
  SubIFDs: 330,
  JPEGTables: 347,
  XMP: 700,
  /** Hamamatsu NDPI marks every IFD with this private tag. */
  NdpiFormatFlag: 65420,
} as const;

/**
 * Where one tag's value lives, so it can be re-read later (strip offsets) or copied verbatim
 * into another TIFF (see tiff-strips.ts). `inline` holds the value when it fits in the entry.
 */
export interface TiffEntry {
  readonly type: number;
  readonly count: number;
  readonly inline: Uint8Array | null;
  /** file offset of the value when it is not inline */
  readonly valueOffset: number;
}

export interface TiffDirectory {
  /** Index in the main IFD chain (what sharp calls `page`). */
  readonly page: number;
  /** Index in the parent page's SubIFDs array (sharp's `subifd`), null for main-chain pages. */
  readonly subIfd: number | null;
  readonly offset: number;
  readonly width: number;
  readonly height: number;
  readonly tileWidth: number | null;
  readonly tileHeight: number | null;
  readonly rowsPerStrip: number | null;
  /** TIFF Compression code (1 = none, 5 = LZW, 7 = JPEG, 33003/33005 = Aperio JPEG 2000, ...). */
  readonly compression: number;
  readonly photometric: number | null;
  /** NewSubfileType bits: 1 = reduced resolution, 8 = Aperio macro. */
  readonly subfileType: number;
  readonly samplesPerPixel: number;
  readonly bitsPerSample: number;
  readonly planarConfiguration: number;
  readonly description: string | null;
  readonly software: string | null;
  readonly make: string | null;
  readonly model: string | null;
  readonly dateTime: string | null;
  readonly xmp: string | null;
  /** Pixels per ResolutionUnit. */
  readonly xResolution: number | null;
  readonly yResolution: number | null;
  /** 1 = none, 2 = inch (the TIFF default), 3 = centimetre. */
  readonly resolutionUnit: number;
  readonly hasJpegTables: boolean;
  /** Every tag id present, for vendor detection by private tags. */
  readonly tags: ReadonlySet<number>;
  /** Every entry's type, count and value location (values are not loaded). */
  readonly entries: ReadonlyMap<number, TiffEntry>;
  readonly subIfds: readonly TiffDirectory[];
}

export interface TiffStructure {
  readonly littleEndian: boolean;
  readonly bigTiff: boolean;
  readonly pages: readonly TiffDirectory[];
}

/** Corrupt or unsupported TIFF structure; the message names the file. */
export class TiffFormatError extends Error {
  constructor(readonly file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'TiffFormatError';
  }
}

/** True when the first bytes are a classic ('II*\0' / 'MM\0*') or BigTIFF header. */
export function isTiffHeader(head: Uint8Array): boolean {
  if (head.length < 4) return false;
  const le = head[0] === 0x49 && head[1] === 0x49;
  const be = head[0] === 0x4d && head[1] === 0x4d;
  if (!le && !be) return false;
  const magic = le ? head[2]! | (head[3]! << 8) : (head[2]! << 8) | head[3]!;
  return magic === 42 || magic === 43;
}

// Byte size of one value of each TIFF field type (0 = unknown type: skipped).
const TYPE_SIZE: Record<number, number> = {
  1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8,
};

// Caps that keep a corrupt count from turning into a huge read.
const MAX_ENTRIES = 4096;
const MAX_NUMBERS = 65536;
const MAX_TEXT_BYTES = 4 << 20;
const MAX_PAGES = 100_000;

interface Entry {
  readonly type: number;
  readonly count: number;
  /** Where the value (if inline) or its offset starts, inside the IFD buffer. */
  readonly at: number;
}

class IfdParser {
  constructor(
    private readonly src: ByteSource,
    private readonly le: boolean,
    private readonly big: boolean,
  ) {}

  private get inlineBytes(): number {
    return this.big ? 8 : 4;
  }

  private readOffset(view: DataView, at: number): number {
    if (!this.big) return view.getUint32(at, this.le);
    const v = view.getBigUint64(at, this.le);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`offset ${v} is too large`);
    return Number(v);
  }

  /** Raw bytes of an entry's value (inline or pointed to), at most maxBytes of it. */
  private async valueBytes(buf: Uint8Array, e: Entry, maxBytes: number): Promise<Uint8Array> {
    const size = TYPE_SIZE[e.type] ?? 0;
    const total = Math.min(e.count * size, maxBytes);
    if (e.count * size <= this.inlineBytes) return buf.subarray(e.at, e.at + total);
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const offset = this.readOffset(view, e.at);
    return this.src.read(offset, Math.min(total, this.src.size - offset));
  }

  /** The first `maxCount` values of a numeric entry. */
  async numbers(buf: Uint8Array, e: Entry, maxCount = MAX_NUMBERS): Promise<number[]> {
    const size = TYPE_SIZE[e.type] ?? 0;
    if (size === 0) return [];
    const bytes = await this.valueBytes(buf, e, Math.min(maxCount, MAX_NUMBERS) * size);
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const n = Math.floor(bytes.length / size);
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const o = i * size;
      switch (e.type) {
        case 1: case 7: out.push(v.getUint8(o)); break;
        case 6: out.push(v.getInt8(o)); break;
        case 3: out.push(v.getUint16(o, this.le)); break;
        case 8: out.push(v.getInt16(o, this.le)); break;
        case 4: case 13: out.push(v.getUint32(o, this.le)); break;
        case 9: out.push(v.getInt32(o, this.le)); break;
        case 5: out.push(ratio(v.getUint32(o, this.le), v.getUint32(o + 4, this.le))); break;
        case 10: out.push(ratio(v.getInt32(o, this.le), v.getInt32(o + 4, this.le))); break;
        case 11: out.push(v.getFloat32(o, this.le)); break;
        case 12: out.push(v.getFloat64(o, this.le)); break;
        case 16: case 18: out.push(Number(v.getBigUint64(o, this.le))); break;
        case 17: out.push(Number(v.getBigInt64(o, this.le))); break;
      }
    }
    return out;
  }

  async text(buf: Uint8Array, e: Entry): Promise<string> {
    const bytes = await this.valueBytes(buf, e, MAX_TEXT_BYTES);
    let end = bytes.length;
    while (end > 0 && bytes[end - 1] === 0) end--;
    return new TextDecoder('utf-8').decode(bytes.subarray(0, end));
  }

  /** Value locations of every entry (for TiffDirectory.entries). */
  private locate(buf: Uint8Array, entries: ReadonlyMap<number, Entry>): Map<number, TiffEntry> {
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const out = new Map<number, TiffEntry>();
    for (const [tag, e] of entries) {
      const bytes = e.count * (TYPE_SIZE[e.type] ?? 0);
      const inline = bytes <= this.inlineBytes;
      let valueOffset = 0;
      if (!inline) {
        // A private tag with an absurd BigTIFF offset must not make the file unreadable: its
        // location is recorded as unusable (-1) and only matters if a reader needs that tag.
        try {
          valueOffset = this.readOffset(view, e.at);
        } catch {
          valueOffset = -1;
        }
      }
      out.set(tag, { type: e.type, count: e.count, inline: inline ? buf.slice(e.at, e.at + bytes) : null, valueOffset });
    }
    return out;
  }

  /** Parse the IFD at `offset`; returns it and the offset of the next one in its chain (0 = none). */
  async parse(offset: number, page: number, subIfd: number | null, withSubIfds: boolean): Promise<{ dir: TiffDirectory; next: number }> {
    const countBytes = this.big ? 8 : 2;
    const entrySize = this.big ? 20 : 12;
    const head = await this.src.read(offset, countBytes);
    const hv = new DataView(head.buffer, head.byteOffset, head.byteLength);
    const count = this.big ? Number(hv.getBigUint64(0, this.le)) : hv.getUint16(0, this.le);
    if (count === 0 || count > MAX_ENTRIES) throw new Error(`IFD at offset ${offset} claims ${count} entries`);
    const buf = await this.src.read(offset + countBytes, count * entrySize + (this.big ? 8 : 4));
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const entries = new Map<number, Entry>();
    for (let i = 0; i < count; i++) {
      const o = i * entrySize;
      const tag = view.getUint16(o, this.le);
      const type = view.getUint16(o + 2, this.le);
      const n = this.big ? Number(view.getBigUint64(o + 4, this.le)) : view.getUint32(o + 4, this.le);
      entries.set(tag, { type, count: n, at: o + (this.big ? 12 : 8) });
    }
    const next = this.readOffset(view, count * entrySize);

    const num = async (tag: number): Promise<number | null> => {
      const e = entries.get(tag);
      if (!e || e.count === 0) return null;
      const v = await this.numbers(buf, e, 1);
      return v.length > 0 ? v[0]! : null;
    };
    const str = async (tag: number): Promise<string | null> => {
      const e = entries.get(tag);
      return e ? this.text(buf, e) : null;
    };

    const width = await num(TiffTag.ImageWidth);
    const height = await num(TiffTag.ImageLength);
    if (!width || !height) throw new Error(`IFD at offset ${offset} has no image size`);

    let subIfds: TiffDirectory[] = [];
    const subEntry = entries.get(TiffTag.SubIFDs);
    if (withSubIfds && subEntry) {
      // SubIFDs hold reduced-resolution levels (OME-TIFF, libvips subifd pyramids): one level deep.
      const offsets = await this.numbers(buf, subEntry);
      subIfds = [];
      for (let i = 0; i < offsets.length; i++) subIfds.push((await this.parse(offsets[i]!, page, i, false)).dir);
    }

    const dir: TiffDirectory = {
      page,
      subIfd,
      offset,
      width,
      height,
      tileWidth: await num(TiffTag.TileWidth),
      tileHeight: await num(TiffTag.TileLength),
      rowsPerStrip: await num(TiffTag.RowsPerStrip),
      compression: (await num(TiffTag.Compression)) ?? 1,
      photometric: await num(TiffTag.Photometric),
      subfileType: (await num(TiffTag.NewSubfileType)) ?? 0,
      samplesPerPixel: (await num(TiffTag.SamplesPerPixel)) ?? 1,
      bitsPerSample: (await num(TiffTag.BitsPerSample)) ?? 1,
      planarConfiguration: (await num(TiffTag.PlanarConfiguration)) ?? 1,
      description: await str(TiffTag.ImageDescription),
      software: await str(TiffTag.Software),
      make: await str(TiffTag.Make),
      model: await str(TiffTag.Model),
      dateTime: await str(TiffTag.DateTime),
      xmp: await str(TiffTag.XMP),
      xResolution: await num(TiffTag.XResolution),
      yResolution: await num(TiffTag.YResolution),
      resolutionUnit: (await num(TiffTag.ResolutionUnit)) ?? 2,
      hasJpegTables: entries.has(TiffTag.JPEGTables),
      tags: new Set(entries.keys()),
      entries: this.locate(buf, entries),
      subIfds,
    };
    return { dir, next };
  }
}

/** Byte size of one value of a TIFF field type (0 for unknown types). */
export function tiffTypeSize(type: number): number {
  return TYPE_SIZE[type] ?? 0;
}

/**
 * Values [start, start + count) of an unsigned integer entry (SHORT, LONG or LONG8: strip
 * offsets and byte counts), read from the file only as far as needed.
 */
export async function entryIntegers(src: ByteSource, littleEndian: boolean, e: TiffEntry, start: number, count: number): Promise<number[]> {
  const size = TYPE_SIZE[e.type] ?? 0;
  if (e.type !== 3 && e.type !== 4 && e.type !== 16) throw new Error(`expected an integer array but the entry has TIFF type ${e.type}`);
  if (start < 0 || count < 0 || start + count > e.count) throw new Error(`values ${start}..${start + count - 1} requested of an entry holding ${e.count}`);
  if (!e.inline && e.valueOffset < 0) throw new Error('the entry points beyond any readable offset');
  const bytes = e.inline ? e.inline.subarray(start * size, (start + count) * size) : await src.read(e.valueOffset + start * size, count * size);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    if (e.type === 3) out.push(v.getUint16(i * 2, littleEndian));
    else if (e.type === 4) out.push(v.getUint32(i * 4, littleEndian));
    else {
      const big = v.getBigUint64(i * 8, littleEndian);
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`value ${big} is too large`);
      out.push(Number(big));
    }
  }
  return out;
}

function ratio(num: number, den: number): number {
  return den === 0 ? 0 : num / den;
}

/** Walk the main IFD chain (and each page's SubIFDs) of a TIFF or BigTIFF. */
export async function readTiffStructure(src: ByteSource): Promise<TiffStructure> {
  const fail = (problem: string): never => {
    throw new TiffFormatError(src.name, problem);
  };
  if (src.size < 8) fail(`not a TIFF file (only ${src.size} bytes)`);
  const head = await src.read(0, Math.min(16, src.size));
  if (!isTiffHeader(head)) fail('not a TIFF file (no II*/MM* header)');
  const le = head[0] === 0x49;
  const hv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const big = hv.getUint16(2, le) === 43;
  let first: number;
  if (big) {
    if (head.length < 16 || hv.getUint16(4, le) !== 8) fail('corrupt BigTIFF header');
    first = Number(hv.getBigUint64(8, le));
  } else {
    first = hv.getUint32(4, le);
  }

  const parser = new IfdParser(src, le, big);
  const pages: TiffDirectory[] = [];
  const seen = new Set<number>();
  let offset = first;
  while (offset !== 0) {
    if (seen.has(offset)) fail(`corrupt TIFF: IFD chain loops back to offset ${offset}`);
    if (pages.length >= MAX_PAGES) fail(`corrupt TIFF: more than ${MAX_PAGES} pages`);
    seen.add(offset);
    try {
      const { dir, next } = await parser.parse(offset, pages.length, null, true);
      pages.push(dir);
      offset = next;
    } catch (err) {
      // NDPI files over 4 GB keep offsets' high bits elsewhere, so a later IFD may look broken
      // to a plain TIFF walk; the first page already identifies the file as NDPI, which is enough.
      if (pages[0]?.tags.has(TiffTag.NdpiFormatFlag)) break;
      const detail = err instanceof SourceRangeError
        ? `IFD data at offset ${err.offset} lies beyond the end of the file (${err.size} bytes)`
        : err instanceof Error ? err.message : String(err);
      fail(`corrupt TIFF: ${detail}`);
    }
  }
  if (pages.length === 0) fail('corrupt TIFF: no image directories');
  return { littleEndian: le, bigTiff: big, pages };
}
