/**
 * Image decoding through sharp (PNG, JPEG, TIFF, WebP, ...) into 8-bit interleaved RGB.
 * Alpha is dropped (not composited: as PIL's convert('RGB') in the original), grey is replicated
 * to RGB, 16-bit is reduced to 8-bit. No colour management is applied, so pixel values match
 * what the original PyTorch code saw.
 */
import { open } from 'node:fs/promises';
import sharp, { type Metadata, type Sharp } from 'sharp';
import { DEFAULT_MAX_PIXELS, type RgbImage } from '../core/image.js';

/** One line naming the file and the problem. */
export class DecodeError extends Error {
  constructor(readonly file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'DecodeError';
  }
}

export type ImageSource = string | Buffer | Uint8Array;

export { DEFAULT_MAX_PIXELS };

export interface ImageInfo {
  readonly width: number;
  readonly height: number;
  /** µm per pixel from the file's resolution (TIFF X/YResolution, PNG pHYs, JPEG JFIF) when it is a microscope's, else null */
  readonly mpp: number | null;
}

/** Coarsest pixel size read as a microscope's: 10 µm/px = 2540 dpi. */
const MAX_FILE_MPP = 10;

/**
 * µm per pixel from a file's resolution in dots per inch (sharp's `density`, converted from
 * per-centimetre units when the file uses them). Files written by ordinary software carry 72,
 * 96 or 300 dpi whatever they show, so a density coarser than 2540 dpi (10 µm/px) is taken as
 * no information, never as a pixel size.
 */
export function mppFromDensity(density: number | undefined): number | null {
  if (density === undefined || !Number.isFinite(density) || density <= 0) return null;
  const mpp = 25400 / density;
  return mpp < MAX_FILE_MPP ? mpp : null;
}

export interface DecodeOptions {
  /** refuse images with more pixels than this (default DEFAULT_MAX_PIXELS), before decoding */
  readonly maxPixels?: number;
}

/** A decode refused because of the image's declared size, before any pixel was decoded. */
export class ImageTooLargeError extends DecodeError {
  constructor(file: string, readonly width: number, readonly height: number, readonly limit: number, hint: string) {
    super(file, `image is ${width}x${height} (${megapixels(width * height)} MP), more than the ${megapixels(limit)} MP limit${hint ? `; ${hint}` : ''}`);
    this.name = 'ImageTooLargeError';
  }
}

export function megapixels(pixels: number): string {
  const mp = pixels / 1e6;
  return mp >= 100 ? mp.toFixed(0) : mp >= 10 ? mp.toFixed(1) : mp.toFixed(2);
}

function labelOf(src: ImageSource, label?: string): string {
  return label ?? (typeof src === 'string' ? src : 'image buffer');
}

// The pixel limit is checked by the callers against the header (metadata), so libvips' own limit is off.
const SHARP_INPUT = { failOn: 'error', limitInputPixels: false, sequentialRead: true, ignoreIcc: true } as const;

/**
 * Why a file could not be opened, when that is the reason sharp failed: sharp reports an
 * unreadable file as an unsupported format, which would send the user looking in the wrong place.
 */
async function openProblem(src: ImageSource): Promise<string | null> {
  if (typeof src !== 'string') return null;
  try {
    const handle = await open(src, 'r');
    const info = await handle.stat().finally(() => handle.close());
    return info.isDirectory() ? 'is a directory, not an image' : null;
  } catch (err) {
    const code = err && typeof err === 'object' && 'code' in err ? String(err.code) : '';
    if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
    if (code === 'ENOENT') return 'file not found';
    if (code === 'EISDIR') return 'is a directory, not an image';
    return `cannot open (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`;
  }
}

/** Runs a sharp decode step, turning failures into one-line DecodeErrors naming the file. */
async function decoding<T>(src: ImageSource, label: string | undefined, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DecodeError) throw err;
    const name = labelOf(src, label);
    const problem = await openProblem(src);
    if (problem) throw new DecodeError(name, problem);
    const msg = err instanceof Error ? err.message : String(err);
    throw new DecodeError(name, `cannot decode image (${msg.split('\n')[0]})`);
  }
}

/** Width, height and the recorded pixel size from the image header (nothing is decoded). */
export async function probeImage(src: ImageSource, label?: string): Promise<ImageInfo> {
  return decoding(src, label, async () => {
    const meta = await sharp(src, SHARP_INPUT).metadata();
    if (!meta.width || !meta.height) throw new Error('image has no size');
    return { width: meta.width, height: meta.height, mpp: mppFromDensity(meta.density) };
  });
}

/** Drops alpha, reduces to 8 bits and replicates grey, as decodeImage documents. */
async function toRgb(img: Sharp, meta: Metadata): Promise<RgbImage> {
  let pipeline = img;
  if (meta.hasAlpha) pipeline = pipeline.removeAlpha();
  // 8-bit input is passed through untouched (a colourspace pass costs ~30% of a PNG decode);
  // 16-bit and other depths are converted to 8-bit sRGB by libvips, which rescales (/257).
  if (meta.depth !== 'uchar') pipeline = pipeline.toColourspace('srgb');
  const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  let rgb: Uint8Array = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (info.channels === 1) rgb = greyToRgb(rgb);
  else if (info.channels === 2) rgb = greyToRgb(dropAlphaGrey(rgb));
  else if (info.channels === 4) rgb = dropAlpha(rgb);
  else if (info.channels !== 3) throw new Error(`unsupported channel count ${info.channels}`);
  return { width: info.width, height: info.height, data: rgb };
}

/** Decode a file path or an encoded buffer to RGB (refused above `maxPixels`, before decoding). */
export async function decodeImage(src: ImageSource, label?: string, options: DecodeOptions = {}): Promise<RgbImage> {
  const limit = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  return decoding(src, label, async () => {
    const img = sharp(src, SHARP_INPUT);
    const meta = await img.metadata();
    if (meta.width && meta.height && meta.width * meta.height > limit) {
      throw new ImageTooLargeError(labelOf(src, label), meta.width, meta.height, limit, '');
    }
    return toRgb(img, meta);
  });
}

/**
 * Decode image rows [top, top + rows), full width, to RGB: the same pixels as those rows of
 * decodeImage. libvips reads PNG and JPEG sequentially (rows above the band are decoded and
 * dropped, in bounded memory), TIFF strips and tiles directly.
 */
export async function decodeImageRows(src: ImageSource, top: number, rows: number, label?: string): Promise<RgbImage> {
  return decoding(src, label, async () => {
    const img = sharp(src, SHARP_INPUT);
    const meta = await img.metadata();
    if (!meta.width || !meta.height || top < 0 || rows < 1 || top + rows > meta.height) {
      throw new Error(`rows ${top}..${top + rows} lie outside the ${meta.width}x${meta.height} image`);
    }
    return toRgb(img.extract({ left: 0, top, width: meta.width, height: rows }), meta);
  });
}

function greyToRgb(grey: Uint8Array): Uint8Array {
  const out = new Uint8Array(grey.length * 3);
  for (let i = 0, o = 0; i < grey.length; i++, o += 3) out[o] = out[o + 1] = out[o + 2] = grey[i]!;
  return out;
}

function dropAlphaGrey(ga: Uint8Array): Uint8Array {
  const out = new Uint8Array(ga.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = ga[i * 2]!;
  return out;
}

function dropAlpha(rgba: Uint8Array): Uint8Array {
  const n = rgba.length / 4;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    out[i * 3] = rgba[i * 4]!;
    out[i * 3 + 1] = rgba[i * 4 + 1]!;
    out[i * 3 + 2] = rgba[i * 4 + 2]!;
  }
  return out;
}
