/**
 * Minimal zip reader for torch.save archives. Pure TS.
 *
 * Reads the CENTRAL DIRECTORY, because torch writes local headers with zero sizes and CRC (the real
 * values follow the data in a data descriptor). Only STORED entries are read (torch never
 * compresses); zip64 end records and zip64 size fields are understood. CRC-32 is checked on read.
 */

export interface ZipEntry {
  readonly name: string;
  /** 0 = stored, 8 = deflate */
  readonly method: number;
  readonly size: number;
  readonly compressedSize: number;
  readonly crc32: number;
  /** offset of the entry's local file header */
  readonly headerOffset: number;
}

export class ZipError extends Error {
  constructor(problem: string) {
    super(problem);
    this.name = 'ZipError';
  }
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;

/** True when the bytes start like a zip archive (a local file header). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

let crcTable: Uint32Array | null = null;

/** CRC-32 (IEEE, as zip uses). */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function u64(view: DataView, off: number): number {
  const v = view.getBigUint64(off, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipError('zip64 field too large');
  return Number(v);
}

export class ZipArchive {
  readonly entries: readonly ZipEntry[];
  private readonly view: DataView;
  /** by name (the first entry of a name wins), so that looking up every storage is not quadratic */
  private readonly byName = new Map<string, ZipEntry>();

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.entries = this.readCentralDirectory();
    for (const e of this.entries) if (!this.byName.has(e.name)) this.byName.set(e.name, e);
  }

  find(name: string): ZipEntry | undefined {
    return this.byName.get(name);
  }

  /** The entry's bytes (a view into the archive, not a copy); CRC-checked. */
  read(entry: ZipEntry): Uint8Array {
    const { view, bytes } = this;
    if (entry.method !== 0) {
      const how = entry.method === 8 ? 'deflate' : `method ${entry.method}`;
      throw new ZipError(`zip entry "${entry.name}" is compressed (${how}); only stored entries are supported`);
    }
    const h = entry.headerOffset;
    if (h + 30 > bytes.length || view.getUint32(h, true) !== SIG_LOCAL) {
      throw new ZipError(`zip entry "${entry.name}" has no local header at byte ${h} (corrupt archive)`);
    }
    const start = h + 30 + view.getUint16(h + 26, true) + view.getUint16(h + 28, true);
    if (start + entry.size > bytes.length) throw new ZipError(`zip entry "${entry.name}" runs past the end of the file (truncated?)`);
    const data = bytes.subarray(start, start + entry.size);
    if (crc32(data) !== entry.crc32) throw new ZipError(`zip entry "${entry.name}" is corrupt (CRC-32 mismatch)`);
    return data;
  }

  private findEocd(): number {
    const { view, bytes } = this;
    const lowest = Math.max(0, bytes.length - EOCD_SIZE - MAX_COMMENT);
    for (let off = bytes.length - EOCD_SIZE; off >= lowest; off--) {
      if (view.getUint32(off, true) === SIG_EOCD) return off;
    }
    throw new ZipError('zip end-of-central-directory record not found (file truncated?)');
  }

  private readCentralDirectory(): ZipEntry[] {
    const { view, bytes } = this;
    if (bytes.length < EOCD_SIZE) throw new ZipError('zip archive too short (file truncated?)');
    const eocd = this.findEocd();
    let count = view.getUint16(eocd + 10, true);
    let cdSize = view.getUint32(eocd + 12, true);
    let cdOffset = view.getUint32(eocd + 16, true);
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      const loc = eocd - 20;
      if (loc < 0 || view.getUint32(loc, true) !== SIG_ZIP64_LOCATOR) throw new ZipError('zip64 locator missing (corrupt archive)');
      const z = u64(view, loc + 8);
      if (z + 56 > bytes.length || view.getUint32(z, true) !== SIG_ZIP64_EOCD) throw new ZipError('zip64 end record missing (corrupt archive)');
      count = u64(view, z + 32);
      cdSize = u64(view, z + 40);
      cdOffset = u64(view, z + 48);
    }
    if (cdOffset + cdSize > bytes.length) throw new ZipError('zip central directory lies past the end of the file (truncated?)');
    const names = new TextDecoder('utf-8');
    const entries: ZipEntry[] = [];
    let p = cdOffset;
    for (let i = 0; i < count; i++) {
      if (p + 46 > cdOffset + cdSize || view.getUint32(p, true) !== SIG_CENTRAL) {
        throw new ZipError(`zip central directory entry ${i} is corrupt`);
      }
      const method = view.getUint16(p + 10, true);
      const crc = view.getUint32(p + 16, true);
      let compressedSize = view.getUint32(p + 20, true);
      let size = view.getUint32(p + 24, true);
      const nameLen = view.getUint16(p + 28, true);
      const extraLen = view.getUint16(p + 30, true);
      const commentLen = view.getUint16(p + 32, true);
      let headerOffset = view.getUint32(p + 42, true);
      const next = p + 46 + nameLen + extraLen + commentLen;
      if (next > cdOffset + cdSize) throw new ZipError(`zip central directory entry ${i} is corrupt`);
      const name = names.decode(bytes.subarray(p + 46, p + 46 + nameLen));
      // zip64 extended information: the 8-byte values present are those whose 32-bit field is 0xFFFFFFFF, in this order.
      for (let e = p + 46 + nameLen; e + 4 <= p + 46 + nameLen + extraLen;) {
        const id = view.getUint16(e, true);
        const len = view.getUint16(e + 2, true);
        if (id === 0x0001) {
          let f = e + 4;
          if (size === 0xffffffff) { size = u64(view, f); f += 8; }
          if (compressedSize === 0xffffffff) { compressedSize = u64(view, f); f += 8; }
          if (headerOffset === 0xffffffff) { headerOffset = u64(view, f); f += 8; }
        }
        e += 4 + len;
      }
      entries.push({ name, method, size, compressedSize, crc32: crc, headerOffset });
      p = next;
    }
    return entries;
  }
}
