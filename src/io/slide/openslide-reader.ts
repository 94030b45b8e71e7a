/**
 * SlideReader on OpenSlide (via koffi): NDPI, MRXS, SCN, BIF, VMS, Philips TIFF, JPEG 2000 SVS
 * and everything else OpenSlide reads. OpenSlide hands back premultiplied ARGB; it is composited
 * over white here, so transparent areas (outside scanned tissue tiles) come back white.
 */
import type { RgbImage } from '../../core/image.js';
import { readClipped, validateRegion } from './region.js';
import { slideThumbnail } from './thumbnail.js';
import { openSlideLib, type OpenSlideHandle, type OpenSlideLib } from './openslide-lib.js';
import { slideMetadata } from './metadata.js';
import type { SlideInfo, SlideLevel, SlideReader } from './types.js';

export { isOpenSlideAvailable, openSlideUnavailableReason, openSlideVersion } from './openslide-lib.js';

// openslide.vendor -> SlideInfo.format (the names the sharp backend uses for the same files).
const VENDOR_FORMATS: Record<string, string> = {
  aperio: 'aperio-svs',
  hamamatsu: 'ndpi',
  leica: 'leica-scn',
  mirax: 'mirax',
  philips: 'philips-tiff',
  sakura: 'sakura',
  trestle: 'trestle',
  ventana: 'ventana-bif',
  'generic-tiff': 'generic-tiff',
  dicom: 'dicom',
};

function formatOf(vendor: string | null, path: string): string {
  if (vendor === 'hamamatsu' && /\.vm[su]$/i.test(path)) return 'hamamatsu-vms';
  return vendor ? VENDOR_FORMATS[vendor] ?? vendor : 'unknown';
}

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/**
 * Premultiplied ARGB (one native-endian uint32 per pixel) over a white background, to RGB.
 * Over white, a premultiplied channel c with alpha a becomes c + (255 - a): alpha 0 is white,
 * alpha 255 is unchanged, and partial alpha at tile seams blends towards white.
 */
export function argbToRgb(argb: Uint32Array, out: Uint8Array = new Uint8Array(argb.length * 3)): Uint8Array {
  // Byte access on little-endian hosts (B, G, R, A in memory) is several times faster than
  // shifting each uint32; premultiplied data has c <= a, so c + 255 - a stays within a byte.
  if (LITTLE_ENDIAN) {
    const b = new Uint8Array(argb.buffer, argb.byteOffset, argb.byteLength);
    for (let i = 0, o = 0; i < b.length; i += 4, o += 3) {
      const bg = 255 - b[i + 3]!;
      out[o] = b[i + 2]! + bg;
      out[o + 1] = b[i + 1]! + bg;
      out[o + 2] = b[i]! + bg;
    }
    return out;
  }
  for (let i = 0, o = 0; i < argb.length; i++, o += 3) {
    const p = argb[i]!;
    const bg = 255 - (p >>> 24);
    out[o] = ((p >>> 16) & 255) + bg;
    out[o + 1] = ((p >>> 8) & 255) + bg;
    out[o + 2] = (p & 255) + bg;
  }
  return out;
}

function positive(v: string | undefined): number | null {
  const n = Number(v);
  return v !== undefined && v.trim() !== '' && Number.isFinite(n) && n > 0 ? n : null;
}

class OpenSlideReader implements SlideReader {
  private closed = false;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    readonly info: SlideInfo,
    private readonly lib: OpenSlideLib,
    private readonly osr: OpenSlideHandle,
  ) {}

  private fail(problem: string): never {
    throw new Error(`${this.info.path}: ${problem}`);
  }

  /** Run a native read, remembering it so close() waits instead of freeing the handle under it. */
  private async track<T>(job: () => Promise<T>): Promise<T> {
    if (this.closed) this.fail('slide reader is closed');
    const p = job();
    this.pending.add(p);
    try {
      return await p;
    } finally {
      this.pending.delete(p);
    }
  }

  /** OpenSlide errors are sticky: once set, the handle returns only transparent pixels. */
  private checkError(): void {
    const err = this.lib.error(this.osr);
    if (err) this.fail(`OpenSlide error: ${err}`);
  }

  async readRegion(level: number, x: number, y: number, w: number, h: number): Promise<RgbImage> {
    validateRegion(this.info.levels, level, x, y, w, h);
    const l = this.info.levels[level]!;
    return readClipped(l.width, l.height, x, y, w, h, (cx, cy, cw, ch) =>
      this.track(async () => {
        const argb = new Uint32Array(cw * ch);
        // OpenSlide takes the origin in level-0 pixels; rounding keeps it nearest to the
        // requested level pixel when the downsample is not an integer.
        await this.lib.readRegion(this.osr, argb, Math.round(cx * l.downsample), Math.round(cy * l.downsample), level, cw, ch);
        this.checkError();
        return { width: cw, height: ch, data: argbToRgb(argb) };
      }),
    );
  }

  async readAssociated(name: string): Promise<RgbImage> {
    if (!this.info.associatedImages.includes(name)) {
      this.fail(`no associated image '${name}' (available: ${this.info.associatedImages.join(', ') || 'none'})`);
    }
    return this.track(async () => {
      const { width, height } = this.lib.associatedDimensions(this.osr, name);
      const argb = new Uint32Array(width * height);
      await this.lib.readAssociated(this.osr, name, argb);
      this.checkError();
      return { width, height, data: argbToRgb(argb) };
    });
  }

  thumbnail(maxSize: number): Promise<RgbImage> {
    return slideThumbnail(this, maxSize);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.pending]);
    this.lib.close(this.osr);
  }
}

/** Open a slide with OpenSlide; throws one line naming the file when it cannot. */
export async function openOpenSlide(path: string): Promise<SlideReader> {
  const lib = openSlideLib();
  const osr = await lib.open(path);
  if (!osr) throw new Error(`${path}: OpenSlide ${lib.version} does not recognise this file`);
  const err = lib.error(osr);
  if (err) {
    lib.close(osr);
    throw new Error(`${path}: OpenSlide error: ${err}`);
  }
  const properties: Record<string, string> = {};
  for (const name of lib.propertyNames(osr)) properties[name] = lib.propertyValue(osr, name) ?? '';
  const levels: SlideLevel[] = [];
  const count = lib.levelCount(osr);
  for (let i = 0; i < count; i++) {
    const { width, height } = lib.levelDimensions(osr, i);
    const tw = positive(properties[`openslide.level[${i}].tile-width`]);
    const th = positive(properties[`openslide.level[${i}].tile-height`]);
    levels.push({ width, height, downsample: lib.levelDownsample(osr, i), ...(tw && th ? { tileWidth: tw, tileHeight: th } : {}) });
  }
  const mx = positive(properties['openslide.mpp-x']);
  const my = positive(properties['openslide.mpp-y']);
  const format = formatOf(properties['openslide.vendor'] ?? null, path);
  const mpp = mx !== null && my !== null ? { x: mx, y: my } : null;
  const objectivePower = positive(properties['openslide.objective-power']);
  const info: SlideInfo = {
    path,
    reader: 'openslide',
    format,
    levels,
    mpp,
    objectivePower,
    associatedImages: lib.associatedNames(osr),
    properties,
    metadata: slideMetadata({ format, properties, mpp, objectivePower }),
  };
  return new OpenSlideReader(info, lib, osr);
}
