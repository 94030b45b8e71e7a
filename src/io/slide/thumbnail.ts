/**
 * Thumbnails for any backend: read the smallest pyramid level that is still at least as large
 * as the output, then let sharp resample it (lanczos3), so a 100k-pixel slide with a pyramid
 * costs one small level read rather than a full-resolution one.
 *
 * A slide without a (small enough) pyramid level would need its whole level 0 in memory (a
 * 20000² image is 1.2 GB of RGB). Such levels are read region by region instead, each region
 * box-averaged by an integer factor into an intermediate image (see shrinkPlan), which sharp
 * then resamples: the same two steps libvips' own resize takes (integer shrink, then lanczos3
 * for the rest), with memory bounded by one region and the intermediate.
 */
import sharp from 'sharp';
import type { RgbImage } from '../../core/image.js';
import { thumbnailLevel, thumbnailSize } from './region.js';
import type { SlideReader } from './types.js';

/** Levels up to this many pixels (48 MiB of RGB) are read in one region; larger ones region by region. */
export const DIRECT_THUMBNAIL_PIXELS = 2 ** 24;
/** Side of the square regions a large level is read in (before rounding to the shrink factor). */
const REGION_SIDE = 4096;

export async function resizeRgb(img: RgbImage, width: number, height: number): Promise<RgbImage> {
  if (img.width === width && img.height === height) return img;
  const data = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 }, limitInputPixels: false })
    .resize(width, height, { fit: 'fill' })
    .raw()
    .toBuffer();
  return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/**
 * Mean of each factor x factor block of `img` (a region whose top-left is a multiple of factor
 * in a levelWidth x levelHeight level), written into `out` at block (bx, by). Blocks cut by the
 * level's right or bottom edge average only the pixels inside the level.
 */
export function boxShrinkInto(
  img: RgbImage,
  factor: number,
  levelWidth: number,
  levelHeight: number,
  regionX: number,
  regionY: number,
  out: RgbImage,
): void {
  const bx0 = regionX / factor;
  const by0 = regionY / factor;
  const cols = Math.ceil(Math.min(img.width, levelWidth - regionX) / factor);
  const rows = Math.ceil(Math.min(img.height, levelHeight - regionY) / factor);
  const sums = new Float64Array(cols * 3);
  for (let br = 0; br < rows; br++) {
    sums.fill(0);
    const y0 = br * factor;
    const y1 = Math.min(y0 + factor, img.height, levelHeight - regionY);
    for (let y = y0; y < y1; y++) {
      const row = y * img.width * 3;
      const xEnd = Math.min(img.width, levelWidth - regionX);
      for (let x = 0; x < xEnd; x++) {
        const s = ((x / factor) | 0) * 3;
        const o = row + x * 3;
        sums[s] = sums[s]! + img.data[o]!;
        sums[s + 1] = sums[s + 1]! + img.data[o + 1]!;
        sums[s + 2] = sums[s + 2]! + img.data[o + 2]!;
      }
    }
    for (let bc = 0; bc < cols; bc++) {
      const w = Math.min(factor, Math.min(img.width, levelWidth - regionX) - bc * factor);
      const n = w * (y1 - y0);
      const o = ((by0 + br) * out.width + bx0 + bc) * 3;
      out.data[o] = Math.round(sums[bc * 3]! / n);
      out.data[o + 1] = Math.round(sums[bc * 3 + 1]! / n);
      out.data[o + 2] = Math.round(sums[bc * 3 + 2]! / n);
    }
  }
}

/**
 * The integer shrink and intermediate size for a level of lw x lh going to a tw x th thumbnail.
 * The factor is half the ratio, as libvips' resize does by default (gap 2): lanczos3 then does
 * the last 2-4x, which keeps the result close to a direct resize of the whole level. It grows
 * towards the full ratio when the intermediate would otherwise exceed DIRECT_THUMBNAIL_PIXELS.
 */
export function shrinkPlan(lw: number, lh: number, tw: number, th: number): { factor: number; width: number; height: number; regionSide: number } {
  const ratio = Math.min(lw / tw, lh / th);
  const most = Math.max(1, Math.floor(ratio));
  let factor = Math.max(1, Math.floor(ratio / 2));
  while (factor < most && Math.ceil(lw / factor) * Math.ceil(lh / factor) > DIRECT_THUMBNAIL_PIXELS) factor++;
  const regionSide = factor * Math.max(1, Math.floor(REGION_SIDE / factor));
  return { factor, width: Math.ceil(lw / factor), height: Math.ceil(lh / factor), regionSide };
}

/** A level read region by region and box-shrunk (see the file comment). */
async function shrinkLevel(reader: Pick<SlideReader, 'info' | 'readRegion'>, level: number, tw: number, th: number): Promise<RgbImage> {
  const l = reader.info.levels[level]!;
  const plan = shrinkPlan(l.width, l.height, tw, th);
  const out: RgbImage = { width: plan.width, height: plan.height, data: new Uint8Array(plan.width * plan.height * 3) };
  for (let y = 0; y < l.height; y += plan.regionSide) {
    for (let x = 0; x < l.width; x += plan.regionSide) {
      const w = Math.min(plan.regionSide, l.width - x);
      const h = Math.min(plan.regionSide, l.height - y);
      boxShrinkInto(await reader.readRegion(level, x, y, w, h), plan.factor, l.width, l.height, x, y, out);
    }
  }
  return out;
}

export async function slideThumbnail(reader: Pick<SlideReader, 'info' | 'readRegion'>, maxSize: number): Promise<RgbImage> {
  const levels = reader.info.levels;
  const size = thumbnailSize(levels[0]!.width, levels[0]!.height, maxSize);
  const level = thumbnailLevel(levels, size.width, size.height);
  const l = levels[level]!;
  const source = l.width * l.height <= DIRECT_THUMBNAIL_PIXELS
    ? await reader.readRegion(level, 0, 0, l.width, l.height)
    : await shrinkLevel(reader, level, size.width, size.height);
  return resizeRgb(source, size.width, size.height);
}
