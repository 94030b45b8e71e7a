/**
 * Thumbnails for any backend: read the smallest pyramid level that is still at least as large
 * as the output, then let sharp resample it (lanczos3), so a 100k-pixel slide with a pyramid
 * costs one small level read rather than a full-resolution one.
 */
import sharp from 'sharp';
import type { RgbImage } from '../../core/image.js';
import { thumbnailLevel, thumbnailSize } from './region.js';
import type { SlideReader } from './types.js';

export async function resizeRgb(img: RgbImage, width: number, height: number): Promise<RgbImage> {
  if (img.width === width && img.height === height) return img;
  const data = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 }, limitInputPixels: false })
    .resize(width, height, { fit: 'fill' })
    .raw()
    .toBuffer();
  return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

export async function slideThumbnail(reader: Pick<SlideReader, 'info' | 'readRegion'>, maxSize: number): Promise<RgbImage> {
  const levels = reader.info.levels;
  const size = thumbnailSize(levels[0]!.width, levels[0]!.height, maxSize);
  const level = thumbnailLevel(levels, size.width, size.height);
  const l = levels[level]!;
  const whole = await reader.readRegion(level, 0, 0, l.width, l.height);
  return resizeRgb(whole, size.width, size.height);
}
