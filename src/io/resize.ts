/** An image file read at another size (for heat-map backgrounds): sharp decodes and resizes. */
import sharp from 'sharp';
import type { RgbImage } from '../core/image.js';

/**
 * The file as sRGB RGB pixels stretched to exactly width x height (alpha dropped), as one
 * resample of the decoded image. The file is read sequentially without libvips' pixel limit: the
 * callers have checked its size (score --max-pixels), and the resize streams in bounded memory.
 */
export async function readResizedRgb(file: string, width: number, height: number): Promise<RgbImage> {
  const { data } = await sharp(file, { limitInputPixels: false, sequentialRead: true }).removeAlpha().toColourspace('srgb').resize(width, height, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
  return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/**
 * Decoded pixels resampled to exactly width x height (area-averaging when shrinking, as libvips'
 * reduce does, so a zoomed-out view of a slide does not alias).
 */
export async function resizeRgb(img: RgbImage, width: number, height: number): Promise<RgbImage> {
  if (img.width === width && img.height === height) return img;
  const bytes = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  const { data } = await sharp(bytes, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel: 'lanczos3' }).raw().toBuffer({ resolveWithObject: true });
  return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}
