/** In-memory 8-bit RGB image, interleaved (r,g,b per pixel, row-major). Pure TS. */

/**
 * Images above this many pixels are refused before decoding unless a caller raises the limit:
 * libvips' own default (16383 x 16383), about 805 MB of decoded RGB. `score --max-pixels` defaults
 * to it (larger images up to the limit are scored in row bands).
 */
export const DEFAULT_MAX_PIXELS = 16383 * 16383;

export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** length = width * height * 3 */
  readonly data: Uint8Array;
}

export function createRgbImage(width: number, height: number, data?: Uint8Array): RgbImage {
  if (!Number.isInteger(width) || width < 1) throw new Error(`Expected positive integer for width but received ${width}`);
  if (!Number.isInteger(height) || height < 1) throw new Error(`Expected positive integer for height but received ${height}`);
  const buf = data ?? new Uint8Array(width * height * 3);
  if (buf.length !== width * height * 3) {
    throw new Error(`Expected ${width * height * 3} bytes for a ${width}x${height} RGB image but received ${buf.length}`);
  }
  return { width, height, data: buf };
}

/** Copy a rectangle out of an image (no bounds padding: the rectangle must lie inside). */
export function cropImage(img: RgbImage, x: number, y: number, w: number, h: number): RgbImage {
  if (x < 0 || y < 0 || x + w > img.width || y + h > img.height) {
    throw new Error(`Crop ${w}x${h} at (${x},${y}) lies outside the ${img.width}x${img.height} image`);
  }
  const out = new Uint8Array(w * h * 3);
  for (let r = 0; r < h; r++) {
    const src = ((y + r) * img.width + x) * 3;
    out.set(img.data.subarray(src, src + w * 3), r * w * 3);
  }
  return { width: w, height: h, data: out };
}
