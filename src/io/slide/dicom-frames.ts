/**
 * Frames of a DICOM instance, by file offset: where each frame's bytes are (native pixel data,
 * or encapsulated fragments found through the Extended Offset Table, the Basic Offset Table or,
 * without either, by walking the fragment items once), and how they decode to RGB (JPEG with
 * sharp, JPEG 2000 with OpenJPEG/WebAssembly, native samples converted here). Nothing is read
 * before a frame is asked for, except the fragment walk when there is no offset table.
 */
import sharp from 'sharp';
import type { RgbImage } from '../../core/image.js';
import { DicomFormatError, type DicomInstance } from './dicom-header.js';
import { decodeJ2k } from './dicom-j2k.js';
import { SourceRangeError, type ByteSource } from './source.js';

const ITEM = 0xe000;
const SEQUENCE_DELIMITER = 0xe0dd;
const UNDEFINED = 0xffffffff;
// More fragment items than this in one Pixel Data element is taken as corruption.
const MAX_FRAGMENTS = 50_000_000;

interface Span {
  readonly offset: number;
  readonly length: number;
}

/** Bytes a frame of this instance has when stored natively (uncompressed). */
export function nativeFrameBytes(inst: DicomInstance): number {
  return inst.tileWidth * inst.tileHeight * inst.samplesPerPixel * (inst.bitsAllocated / 8);
}

/** Compressed frames larger than this are corrupt offsets or lengths, not data. */
function maxCompressedBytes(inst: DicomInstance): number {
  return nativeFrameBytes(inst) * 4 + (1 << 16);
}

function itemHeader(bytes: Uint8Array, at: number): { group: number; element: number; length: number } {
  const v = new DataView(bytes.buffer, bytes.byteOffset + at, 8);
  return { group: v.getUint16(0, true), element: v.getUint16(2, true), length: v.getUint32(4, true) };
}

/** Finds and reads the bytes of each frame of one instance. */
export class FrameTable {
  private fragments: Promise<Span[][]> | null = null;
  private bot: Promise<{ base: number; offsets: Uint32Array | null }> | null = null;

  constructor(
    private readonly inst: DicomInstance,
    private readonly src: ByteSource,
  ) {}

  private fail(problem: string): never {
    throw new DicomFormatError(this.inst.path, problem);
  }

  private async read(offset: number, length: number, what: string): Promise<Uint8Array> {
    try {
      return await this.src.read(offset, length);
    } catch (err) {
      if (err instanceof SourceRangeError) this.fail(`${what} lies beyond the end of the file (${this.src.size} bytes; truncated?)`);
      throw err;
    }
  }

  /**
   * Checks made at open, before any frame is decoded, so a truncated file fails at once rather
   * than halfway through a slide: native sizes against the file; the last frame the offset
   * table points at; without a table, the fragment walk (which needs every item header).
   */
  async check(): Promise<void> {
    const { inst } = this;
    if (inst.codec === 'native') {
      const need = nativeFrameBytes(inst) * inst.frames;
      if (inst.pixelData.length !== null && inst.pixelData.length < need) {
        this.fail(`Pixel Data holds ${inst.pixelData.length} bytes, ${inst.frames} frames of ${inst.tileWidth}x${inst.tileHeight} need ${need} (corrupt)`);
      }
      if (inst.pixelData.offset + need > this.src.size) {
        this.fail(`Pixel Data runs past the end of the file (${need} bytes from offset ${inst.pixelData.offset}, file ${this.src.size} bytes; truncated?)`);
      }
      return;
    }
    if (inst.pixelData.offset + 8 > this.src.size) this.fail('Pixel Data starts at the end of the file (truncated?)');
    const { base, offsets } = await this.basicOffsets();
    const last = inst.frames - 1;
    if (inst.extendedOffsets) {
      const end = base + inst.extendedOffsets.offsets[last]! + 8 + inst.extendedOffsets.lengths[last]!;
      if (end > this.src.size) this.fail(`frame ${last + 1} ends at byte ${end}, past the end of the file (${this.src.size} bytes; truncated?)`);
    } else if (offsets) {
      const at = base + offsets[last]!;
      if (at + 8 > this.src.size) this.fail(`frame ${last + 1} starts at byte ${at}, past the end of the file (${this.src.size} bytes; truncated?)`);
      const h = itemHeader(await this.read(at, 8, `frame ${last + 1}`), 0);
      if (at + 8 + h.length > this.src.size) this.fail(`frame ${last + 1} (${h.length} bytes at offset ${at + 8}) runs past the end of the file (${this.src.size} bytes; truncated?)`);
    } else {
      await this.walk(base);
    }
  }

  /** Basic Offset Table: where the fragments start, and the table itself when it is not empty. */
  private basicOffsets(): Promise<{ base: number; offsets: Uint32Array | null }> {
    this.bot ??= (async () => {
      const at = this.inst.pixelData.offset;
      const head = itemHeader(await this.read(at, 8, 'Basic Offset Table'), 0);
      if (head.group !== 0xfffe || head.element !== ITEM || head.length === UNDEFINED) this.fail('encapsulated Pixel Data does not start with an offset table item (corrupt)');
      const base = at + 8 + head.length;
      // A table that does not list every frame is ignored: walking the fragments is reliable.
      if (head.length === 0 || head.length !== this.inst.frames * 4) return { base, offsets: null };
      const raw = await this.read(at + 8, head.length, 'Basic Offset Table');
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      const offsets = new Uint32Array(this.inst.frames);
      for (let i = 0; i < offsets.length; i++) {
        offsets[i] = view.getUint32(i * 4, true);
        if (i > 0 && offsets[i]! <= offsets[i - 1]!) this.fail(`Basic Offset Table is not increasing at frame ${i + 1} (corrupt)`);
      }
      return { base, offsets };
    })();
    this.bot.catch(() => {
      this.bot = null;
    });
    return this.bot;
  }

  /** Walk every fragment item once (no offset table): fragments grouped into frames. */
  private walk(base: number): Promise<Span[][]> {
    this.fragments ??= (async () => {
      const found: Span[] = [];
      const starts: boolean[] = [];
      let at = base;
      for (;;) {
        if (at + 8 > this.src.size) this.fail(`Pixel Data ends without a sequence delimiter after ${found.length} fragments (truncated?)`);
        const head = await this.read(at, Math.min(12, this.src.size - at), `fragment ${found.length + 1}`);
        const h = itemHeader(head, 0);
        if (h.group === 0xfffe && h.element === SEQUENCE_DELIMITER) break;
        if (h.group !== 0xfffe || h.element !== ITEM || h.length === UNDEFINED) this.fail(`fragment ${found.length + 1} at offset ${at} is not an item (corrupt)`);
        if (at + 8 + h.length > this.src.size) this.fail(`fragment ${found.length + 1} (${h.length} bytes at offset ${at + 8}) runs past the end of the file (truncated?)`);
        if (found.length >= MAX_FRAGMENTS) this.fail(`more than ${MAX_FRAGMENTS} fragments (corrupt)`);
        found.push({ offset: at + 8, length: h.length });
        starts.push(isFrameStart(head.subarray(8), this.inst.codec));
        at += 8 + h.length;
      }
      return groupFragments(found, starts, this.inst.frames, (p) => this.fail(p));
    })();
    this.fragments.catch(() => {
      this.fragments = null;
    });
    return this.fragments;
  }

  /** Fragments of frame `index` (0-based) when the Basic Offset Table lists it. */
  private async fromBot(base: number, offsets: Uint32Array, index: number): Promise<Span[]> {
    const start = base + offsets[index]!;
    const spans: Span[] = [];
    if (index + 1 < offsets.length) {
      const end = base + offsets[index + 1]!;
      if (end - start > maxCompressedBytes(this.inst) + 64) this.fail(`frame ${index + 1} spans ${end - start} bytes (corrupt Basic Offset Table)`);
      const bytes = await this.read(start, end - start, `frame ${index + 1}`);
      for (let at = 0; at < bytes.length; ) {
        if (at + 8 > bytes.length) this.fail(`frame ${index + 1}: Basic Offset Table does not point at fragment items (corrupt)`);
        const h = itemHeader(bytes, at);
        if (h.group !== 0xfffe || h.element !== ITEM || at + 8 + h.length > bytes.length) this.fail(`frame ${index + 1}: Basic Offset Table does not point at fragment items (corrupt)`);
        spans.push({ offset: start + at + 8, length: h.length });
        at += 8 + h.length;
      }
      return spans;
    }
    // The last frame runs to the sequence delimiter (or the end of the file).
    for (let at = start; ; ) {
      if (at + 8 > this.src.size) {
        if (spans.length > 0) return spans;
        this.fail(`frame ${index + 1} lies beyond the end of the file (${this.src.size} bytes; truncated?)`);
      }
      const h = itemHeader(await this.read(at, 8, `frame ${index + 1}`), 0);
      if (h.group === 0xfffe && h.element === SEQUENCE_DELIMITER && spans.length > 0) return spans;
      if (h.group !== 0xfffe || h.element !== ITEM || h.length === UNDEFINED) this.fail(`frame ${index + 1}: Basic Offset Table does not point at a fragment item (corrupt)`);
      spans.push({ offset: at + 8, length: h.length });
      at += 8 + h.length;
    }
  }

  /** Where frame `index` (0-based) is stored. */
  async locate(index: number): Promise<Span[]> {
    const { inst } = this;
    if (!Number.isInteger(index) || index < 0 || index >= inst.frames) throw new Error(`Expected frame index between 0 and ${inst.frames - 1} but received ${index}`);
    if (inst.codec === 'native') {
      const n = nativeFrameBytes(inst);
      return [{ offset: inst.pixelData.offset + index * n, length: n }];
    }
    const { base, offsets } = await this.basicOffsets();
    if (inst.extendedOffsets) {
      const at = base + inst.extendedOffsets.offsets[index]!;
      const length = inst.extendedOffsets.lengths[index]!;
      const h = itemHeader(await this.read(at, 8, `frame ${index + 1}`), 0);
      if (h.group !== 0xfffe || h.element !== ITEM || h.length < length) this.fail(`frame ${index + 1}: Extended Offset Table does not point at its fragment (corrupt)`);
      return [{ offset: at + 8, length }];
    }
    if (offsets) return this.fromBot(base, offsets, index);
    return (await this.walk(base))[index]!;
  }

  /** The stored bytes of frame `index`: one fragment as is, several concatenated. */
  async readFrame(index: number): Promise<Uint8Array> {
    const spans = await this.locate(index);
    const total = spans.reduce((s, x) => s + x.length, 0);
    if (this.inst.codec !== 'native' && total > maxCompressedBytes(this.inst)) this.fail(`frame ${index + 1} claims ${total} bytes (corrupt)`);
    if (total === 0) this.fail(`frame ${index + 1} is empty (corrupt)`);
    if (spans.length === 1) return this.read(spans[0]!.offset, spans[0]!.length, `frame ${index + 1}`);
    const out = new Uint8Array(total);
    let o = 0;
    for (const s of spans) {
      out.set(await this.read(s.offset, s.length, `frame ${index + 1}`), o);
      o += s.length;
    }
    return out;
  }
}

/** Whether a fragment's first bytes start a JPEG (SOI) or JPEG 2000 (SOC, or a JP2 box) stream. */
function isFrameStart(head: Uint8Array, codec: DicomInstance['codec']): boolean {
  if (codec === 'jpeg') return head[0] === 0xff && head[1] === 0xd8;
  if (codec === 'jpeg2000') return (head[0] === 0xff && head[1] === 0x4f) || (head[0] === 0 && head[1] === 0 && head[2] === 0 && head[3] === 0x0c);
  return true;
}

/**
 * Fragments into frames without an offset table: one each when the counts match; otherwise a new
 * frame starts at each fragment that begins a codestream.
 */
export function groupFragments(found: readonly Span[], starts: readonly boolean[], frames: number, fail: (problem: string) => never): Span[][] {
  if (found.length === frames) return found.map((s) => [s]);
  if (frames === 1 && found.length > 0) return [[...found]];
  if (found.length < frames) return fail(`${found.length} fragments for ${frames} frames (truncated or corrupt)`);
  const out: Span[][] = [];
  found.forEach((s, i) => {
    if (starts[i] || out.length === 0) out.push([s]);
    else out[out.length - 1]!.push(s);
  });
  if (out.length !== frames) return fail(`cannot split ${found.length} fragments into ${frames} frames without an offset table (found ${out.length} frame starts)`);
  return out;
}

// ------------------------------------------------------------------ decoding

function clamp8(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}

/** YCbCr (full range, as DICOM YBR_FULL and JFIF define it) to RGB, in place. */
export function ybrToRgb(px: Uint8Array): void {
  for (let i = 0; i < px.length; i += 3) {
    const y = px[i]!, cb = px[i + 1]! - 128, cr = px[i + 2]! - 128;
    px[i] = clamp8(y + 1.402 * cr);
    px[i + 1] = clamp8(y - 0.344136 * cb - 0.714136 * cr);
    px[i + 2] = clamp8(y + 1.772 * cb);
  }
}

export interface SampleLayout {
  readonly width: number;
  readonly height: number;
  readonly samplesPerPixel: number;
  /** 0: interleaved (r,g,b,r,g,b...), 1: planar (all r, then all g, then all b). */
  readonly planarConfiguration: number;
  /** 1 or 2 bytes per sample (little endian). */
  readonly bytesPerSample: number;
  /** Significant bits per sample; 16-bit samples are reduced to their top 8 significant bits. */
  readonly bitsStored: number;
  readonly photometric: string;
}

/** Stored samples (native DICOM or decoded JPEG 2000) to 8-bit interleaved RGB. */
export function samplesToRgb(bytes: Uint8Array, layout: SampleLayout): RgbImage {
  const { width, height, samplesPerPixel: spp, bytesPerSample: bps } = layout;
  const n = width * height;
  if (bytes.length < n * spp * bps) throw new Error(`expected ${n * spp * bps} bytes of samples but received ${bytes.length}`);
  const shift = bps === 2 ? Math.max(0, Math.min(16, layout.bitsStored) - 8) : 0;
  const view = bps === 2 ? new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength) : null;
  const sample = (i: number): number => (view ? Math.min(255, view.getUint16(i * 2, true) >> shift) : bytes[i]!);
  const out = new Uint8Array(n * 3);
  if (spp === 1) {
    const invert = layout.photometric === 'MONOCHROME1';
    for (let p = 0; p < n; p++) {
      const v = invert ? 255 - sample(p) : sample(p);
      out[p * 3] = v;
      out[p * 3 + 1] = v;
      out[p * 3 + 2] = v;
    }
  } else if (layout.planarConfiguration === 1) {
    for (let p = 0; p < n; p++) {
      out[p * 3] = sample(p);
      out[p * 3 + 1] = sample(n + p);
      out[p * 3 + 2] = sample(2 * n + p);
    }
  } else if (!view) {
    out.set(bytes.subarray(0, n * 3));
  } else {
    for (let i = 0; i < n * 3; i++) out[i] = sample(i);
  }
  if (spp === 3 && (layout.photometric === 'YBR_FULL' || layout.photometric === 'YBR_FULL_422')) ybrToRgb(out);
  return { width, height, data: out };
}

/** Which colour markers a JPEG stream carries before its first scan. */
export function jpegColourMarkers(bytes: Uint8Array): { jfif: boolean; adobe: boolean } {
  let jfif = false, adobe = false;
  for (let i = 2; i + 4 <= bytes.length && bytes[i] === 0xff; ) {
    const marker = bytes[i + 1]!;
    if (marker === 0xda || marker === 0xd9) break;
    const len = (bytes[i + 2]! << 8) | bytes[i + 3]!;
    const id = String.fromCharCode(...bytes.subarray(i + 4, i + 9));
    if (marker === 0xe0 && id === 'JFIF\0') jfif = true;
    if (marker === 0xee && id === 'Adobe') adobe = true;
    i += 2 + len;
  }
  return { jfif, adobe };
}

// APP14 'Adobe' segment with colour transform 0: tells libjpeg the components are RGB as stored.
const ADOBE_RGB = Uint8Array.of(0xff, 0xee, 0x00, 0x0e, 0x41, 0x64, 0x6f, 0x62, 0x65, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00);

/**
 * A JPEG frame as libjpeg should read it. libjpeg takes the colour space from the stream's
 * markers (JFIF means YCbCr, Adobe says which) and assumes YCbCr without them. DICOM's RGB
 * Photometric Interpretation for JPEG means "no colour transform" (e.g. Aperio RGB tiles
 * converted to DICOM), so a stream with neither marker gets an Adobe transform-0 marker; a
 * stream with a JFIF marker is YCbCr whatever the header says (as in small_dicom.dcm).
 */
export function jpegForPhotometric(bytes: Uint8Array, photometric: string): Uint8Array {
  if (photometric !== 'RGB' || bytes[0] !== 0xff || bytes[1] !== 0xd8) return bytes;
  const { jfif, adobe } = jpegColourMarkers(bytes);
  if (jfif || adobe) return bytes;
  const out = new Uint8Array(bytes.length + ADOBE_RGB.length);
  out.set(bytes.subarray(0, 2));
  out.set(ADOBE_RGB, 2);
  out.set(bytes.subarray(2), 2 + ADOBE_RGB.length);
  return out;
}

async function decodeJpeg(bytes: Uint8Array): Promise<RgbImage> {
  const { data, info } = await sharp(bytes, { failOn: 'error', ignoreIcc: true })
    .toColourspace('srgb')
    .removeAlpha()
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`JPEG decoded to ${info.channels} channels`);
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** Decode the stored bytes of one frame of `inst` to a tileWidth x tileHeight RGB image. */
export async function decodeFrame(inst: DicomInstance, bytes: Uint8Array): Promise<RgbImage> {
  let img: RgbImage;
  if (inst.codec === 'native') {
    img = samplesToRgb(bytes, {
      width: inst.tileWidth,
      height: inst.tileHeight,
      samplesPerPixel: inst.samplesPerPixel,
      planarConfiguration: inst.planarConfiguration,
      bytesPerSample: inst.bitsAllocated / 8,
      bitsStored: inst.bitsStored,
      photometric: inst.photometric,
    });
  } else if (inst.codec === 'jpeg') {
    img = await decodeJpeg(jpegForPhotometric(bytes, inst.photometric));
  } else {
    const j = await decodeJ2k(bytes);
    if (j.components !== 1 && j.components !== 3) throw new Error(`JPEG 2000 frame has ${j.components} components`);
    img = samplesToRgb(j.data, {
      width: j.width,
      height: j.height,
      samplesPerPixel: j.components,
      planarConfiguration: 0,
      bytesPerSample: j.bitsPerSample > 8 ? 2 : 1,
      bitsStored: j.bitsPerSample,
      // OpenJPEG undoes the codestream's colour transform (YBR_ICT / YBR_RCT) itself.
      photometric: inst.photometric === 'YBR_FULL' ? 'YBR_FULL' : 'RGB',
    });
  }
  if (img.width !== inst.tileWidth || img.height !== inst.tileHeight) {
    throw new Error(`frame decoded to ${img.width}x${img.height}, expected ${inst.tileWidth}x${inst.tileHeight}`);
  }
  return img;
}
