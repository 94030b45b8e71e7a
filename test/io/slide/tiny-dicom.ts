/**
 * A small DICOM Part 10 writer for tests (explicit VR little endian), written independently of
 * the reader's parser: VL Whole Slide Microscopy instances with native or encapsulated frames,
 * with or without a Basic Offset Table, with an Extended Offset Table, split fragments, TILED_FULL
 * or TILED_SPARSE (Per-Frame Functional Groups) organisation, and free extra attributes.
 */
import { patternRgb } from './tiny-tiff.js';

export const WSI_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.77.1.6';
export const TS = {
  explicitLE: '1.2.840.10008.1.2.1',
  jpegBaseline: '1.2.840.10008.1.2.4.50',
  j2kLossless: '1.2.840.10008.1.2.4.90',
  j2k: '1.2.840.10008.1.2.4.91',
  jpegLs: '1.2.840.10008.1.2.4.80',
} as const;

type Value = string | number | Array<string | number> | Uint8Array | Item[];
/** One element: tag as 0xGGGGEEEE, VR, value (string(s), numbers, bytes or sequence items). */
export type Element = [tag: number, vr: string, value: Value];
export type Item = Element[];

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT']);

class Bytes {
  private chunks: Uint8Array[] = [];
  length = 0;
  push(b: Uint8Array): void {
    this.chunks.push(b);
    this.length += b.length;
  }
  u16(v: number): void {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, v, true);
    this.push(b);
  }
  u32(v: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, true);
    this.push(b);
  }
  tag(t: number): void {
    this.u16(t >>> 16);
    this.u16(t & 0xffff);
  }
  concat(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

function valueBytes(vr: string, value: Value): Uint8Array {
  if (value instanceof Uint8Array) return value.length % 2 ? Uint8Array.from([...value, 0]) : value;
  if (vr === 'SQ') {
    const b = new Bytes();
    for (const item of value as Item[]) {
      const body = encode(item);
      b.tag(0xfffee000);
      b.u32(body.length);
      b.push(body);
    }
    return b.concat();
  }
  const nums = typeof value === 'number' ? [value] : Array.isArray(value) && value.every((v) => typeof v === 'number') ? (value as number[]) : null;
  if (nums && ['US', 'UL', 'SL', 'SS', 'FL', 'FD', 'OV'].includes(vr)) {
    const size = vr === 'US' || vr === 'SS' ? 2 : vr === 'FD' || vr === 'OV' ? 8 : 4;
    const b = new Uint8Array(nums.length * size);
    const v = new DataView(b.buffer);
    nums.forEach((n, i) => {
      const o = i * size;
      if (vr === 'US') v.setUint16(o, n, true);
      else if (vr === 'SS') v.setInt16(o, n, true);
      else if (vr === 'UL') v.setUint32(o, n, true);
      else if (vr === 'SL') v.setInt32(o, n, true);
      else if (vr === 'FL') v.setFloat32(o, n, true);
      else if (vr === 'FD') v.setFloat64(o, n, true);
      else v.setBigUint64(o, BigInt(n), true);
    });
    return b;
  }
  const text = Array.isArray(value) ? (value as Array<string | number>).join('\\') : String(value);
  const bytes = new TextEncoder().encode(text);
  if (bytes.length % 2 === 0) return bytes;
  const padded = new Uint8Array(bytes.length + 1);
  padded.set(bytes);
  padded[bytes.length] = vr === 'UI' ? 0 : 0x20;
  return padded;
}

/** Elements in tag order, explicit VR little endian. */
export function encode(elements: readonly Element[]): Uint8Array {
  const b = new Bytes();
  for (const [tag, vr, value] of [...elements].sort((x, y) => x[0] - y[0])) {
    const data = valueBytes(vr, value);
    b.tag(tag);
    b.push(new TextEncoder().encode(vr));
    if (LONG_VRS.has(vr)) {
      b.u16(0);
      b.u32(data.length);
    } else {
      b.u16(data.length);
    }
    b.push(data);
  }
  return b.concat();
}

/** Preamble, DICM, file meta group, then the data set. */
export function part10(transferSyntax: string, sopInstanceUid: string, body: Uint8Array, sopClassUid: string = WSI_SOP_CLASS): Uint8Array {
  const metaRest = encode([
    [0x00020001, 'OB', Uint8Array.of(0, 1)],
    [0x00020002, 'UI', sopClassUid],
    [0x00020003, 'UI', sopInstanceUid],
    [0x00020010, 'UI', transferSyntax],
    [0x00020012, 'UI', '1.2.3.4.5.6.7'],
  ]);
  const groupLength = encode([[0x00020000, 'UL', metaRest.length]]);
  const out = new Uint8Array(132 + groupLength.length + metaRest.length + body.length);
  out.set(new TextEncoder().encode('DICM'), 128);
  out.set(groupLength, 132);
  out.set(metaRest, 132 + groupLength.length);
  out.set(body, 132 + groupLength.length + metaRest.length);
  return out;
}

export interface WsiInstance {
  totalWidth: number;
  totalHeight: number;
  tileWidth: number;
  tileHeight: number;
  /** Stored frames: raw RGB for native, codestreams otherwise. */
  frames: Uint8Array[];
  transferSyntax?: string;
  /** Default ['DERIVED', 'PRIMARY', 'VOLUME', 'NONE']. */
  imageType?: string[];
  photometric?: string;
  samplesPerPixel?: number;
  /** TILED_FULL (default), TILED_SPARSE, or null to leave Dimension Organization Type out. */
  organization?: 'TILED_FULL' | 'TILED_SPARSE' | null;
  /** 0-based top-left corner of each frame (written as 1-based Plane Position (Slide)). */
  positions?: Array<{ x: number; y: number }>;
  /** Encapsulated data only: 'bot' (default), 'none' (empty Basic Offset Table), 'eot'. */
  offsets?: 'bot' | 'none' | 'eot';
  /** Split each encapsulated frame into this many fragments (default 1). */
  fragmentsPerFrame?: number;
  /** Pixel Spacing in millimetres, [row spacing, column spacing]. */
  pixelSpacingMm?: [number, number];
  objectivePower?: number;
  iccProfile?: Uint8Array;
  seriesUid?: string;
  instanceNumber?: number;
  sopInstanceUid?: string;
  /** Default: VL Whole Slide Microscopy Image Storage. */
  sopClassUid?: string;
  /** More attributes (Manufacturer, dates, ...). */
  extra?: Element[];
}

let uidCounter = 0;

/** Pixel Data: native bytes, or BOT item + fragments + sequence delimiter. */
function pixelData(spec: WsiInstance, encapsulated: boolean): { element: Uint8Array; eot: Element[] } {
  const b = new Bytes();
  b.tag(0x7fe00010);
  b.push(new TextEncoder().encode('OB'));
  b.u16(0);
  if (!encapsulated) {
    const total = spec.frames.reduce((s, f) => s + f.length, 0);
    b.u32(total + (total % 2));
    for (const f of spec.frames) b.push(f);
    if (total % 2) b.push(new Uint8Array(1));
    return { element: b.concat(), eot: [] };
  }
  b.u32(0xffffffff);
  const parts = spec.fragmentsPerFrame ?? 1;
  const frameItems = spec.frames.map((f) => {
    const item = new Bytes();
    // Fragments have even lengths: split at even offsets, so only the last one is ever padded.
    const step = Math.ceil(f.length / parts / 2) * 2;
    for (let i = 0; i < parts && i * step < f.length; i++) {
      let frag = f.subarray(i * step, Math.min(f.length, (i + 1) * step));
      if (frag.length % 2) frag = Uint8Array.from([...frag, 0]);
      item.tag(0xfffee000);
      item.u32(frag.length);
      item.push(frag);
    }
    return item.concat();
  });
  const offsets: number[] = [];
  let at = 0;
  for (const it of frameItems) {
    offsets.push(at);
    at += it.length;
  }
  const mode = spec.offsets ?? 'bot';
  b.tag(0xfffee000);
  if (mode === 'bot') {
    b.u32(offsets.length * 4);
    for (const o of offsets) b.u32(o);
  } else {
    b.u32(0);
  }
  for (const it of frameItems) b.push(it);
  b.tag(0xfffee0dd);
  b.u32(0);
  const eot: Element[] = mode === 'eot'
    ? [[0x7fe00001, 'OV', offsets], [0x7fe00002, 'OV', spec.frames.map((f) => f.length + (f.length % 2))]]
    : [];
  return { element: b.concat(), eot };
}

/** One VL Whole Slide Microscopy Image instance as a Part 10 file. */
export function writeWsi(spec: WsiInstance): Uint8Array {
  const ts = spec.transferSyntax ?? TS.explicitLE;
  const encapsulated = ts !== TS.explicitLE;
  const sop = spec.sopInstanceUid ?? `1.2.826.0.1.3680043.10.1.${++uidCounter}`;
  const organization = spec.organization === undefined ? (spec.positions ? 'TILED_SPARSE' : 'TILED_FULL') : spec.organization;
  const spp = spec.samplesPerPixel ?? 3;
  const elements: Element[] = [
    [0x00080008, 'CS', spec.imageType ?? ['DERIVED', 'PRIMARY', 'VOLUME', 'NONE']],
    [0x00080016, 'UI', spec.sopClassUid ?? WSI_SOP_CLASS],
    [0x00080018, 'UI', sop],
    [0x00080060, 'CS', 'SM'],
    [0x0020000d, 'UI', '1.2.826.0.1.3680043.10.2'],
    [0x0020000e, 'UI', spec.seriesUid ?? '1.2.826.0.1.3680043.10.3'],
    [0x00200013, 'IS', spec.instanceNumber ?? 1],
    [0x00280002, 'US', spp],
    [0x00280004, 'CS', spec.photometric ?? (spp === 3 ? (ts === TS.jpegBaseline ? 'YBR_FULL_422' : 'RGB') : 'MONOCHROME2')],
    [0x00280008, 'IS', spec.frames.length],
    [0x00280010, 'US', spec.tileHeight],
    [0x00280011, 'US', spec.tileWidth],
    [0x00280100, 'US', 8],
    [0x00280101, 'US', 8],
    [0x00280102, 'US', 7],
    [0x00280103, 'US', 0],
    [0x00480006, 'UL', spec.totalWidth],
    [0x00480007, 'UL', spec.totalHeight],
    ...(spp === 3 ? [[0x00280006, 'US', 0] as Element] : []),
    ...(organization ? [[0x00209311, 'CS', organization] as Element] : []),
    ...(spec.extra ?? []),
  ];
  if (spec.pixelSpacingMm) {
    elements.push([0x52009229, 'SQ', [[[0x00289110, 'SQ', [[[0x00280030, 'DS', spec.pixelSpacingMm.map((v) => v.toPrecision(8))]]]]]]]);
  }
  const optical: Element[] = [[0x00480106, 'SH', '1']];
  if (spec.objectivePower !== undefined) optical.push([0x00480112, 'DS', spec.objectivePower]);
  if (spec.iccProfile) optical.push([0x00282000, 'OB', spec.iccProfile]);
  elements.push([0x00480105, 'SQ', [optical]]);
  if (spec.positions) {
    elements.push([0x52009230, 'SQ', spec.positions.map((p) => [[0x0048021a, 'SQ', [[[0x0048021e, 'SL', p.x + 1], [0x0048021f, 'SL', p.y + 1]]]]] as Item)]);
  }
  const { element, eot } = pixelData(spec, encapsulated);
  const head = encode([...elements, ...eot]);
  const body = new Uint8Array(head.length + element.length);
  body.set(head);
  body.set(element, head.length);
  return part10(ts, sop, body, spec.sopClassUid);
}

/** An RGB image (interleaved) cut into tileWidth x tileHeight frames, row-major, edges padded with black. */
export function cutFrames(rgb: Uint8Array, width: number, height: number, tw: number, th: number, order: 'row' | 'column' = 'row'): Uint8Array[] {
  const across = Math.ceil(width / tw), down = Math.ceil(height / th);
  const frames: Uint8Array[] = [];
  const cut = (c: number, r: number): Uint8Array => {
    const f = new Uint8Array(tw * th * 3);
    for (let y = 0; y < th && r * th + y < height; y++) {
      const w = Math.min(tw, width - c * tw);
      const s = ((r * th + y) * width + c * tw) * 3;
      f.set(rgb.subarray(s, s + w * 3), y * tw * 3);
    }
    return f;
  };
  if (order === 'row') for (let r = 0; r < down; r++) for (let c = 0; c < across; c++) frames.push(cut(c, r));
  else for (let c = 0; c < across; c++) for (let r = 0; r < down; r++) frames.push(cut(c, r));
  return frames;
}

/** A smooth, textured test image (no flat areas, so seams and misplaced tiles show). */
export function testImage(width: number, height: number, seed = 0): Uint8Array {
  const out = patternRgb(width, height, seed);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      out[o] = 128 + Math.round(100 * Math.sin((x + seed) / 37) * Math.cos(y / 53));
    }
  }
  return out;
}
