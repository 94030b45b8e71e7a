/**
 * Image decoding through sharp (PNG, JPEG, TIFF, WebP, ...) into 8-bit interleaved RGB.
 * Alpha is dropped (not composited: as PIL's convert('RGB') in the original), grey is replicated
 * to RGB, 16-bit is reduced to 8-bit. No colour management is applied, so pixel values match
 * what the original PyTorch code saw.
 */
import sharp from 'sharp';
import type { RgbImage } from '../core/image.js';

/** One line naming the file and the problem. */
export class DecodeError extends Error {
  constructor(readonly file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'DecodeError';
  }
}

export type ImageSource = string | Buffer | Uint8Array;

function labelOf(src: ImageSource, label?: string): string {
  return label ?? (typeof src === 'string' ? src : 'image buffer');
}

/** Decode a file path or an encoded buffer to RGB. */
export async function decodeImage(src: ImageSource, label?: string): Promise<RgbImage> {
  const name = labelOf(src, label);
  try {
    const img = sharp(src, { failOn: 'error', limitInputPixels: false, sequentialRead: true, ignoreIcc: true });
    const meta = await img.metadata();
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
  } catch (err) {
    if (err instanceof DecodeError) throw err;
    const msg = err instanceof Error ? err.message : String(err);
    throw new DecodeError(name, `cannot decode image (${msg.split('\n')[0]})`);
  }
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
