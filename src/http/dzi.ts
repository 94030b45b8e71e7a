/**
 * Deep Zoom geometry (the layout OpenSeadragon's DziTileSource reads): level L of a W x H image is
 * ceil(W / 2^(max-L)) x ceil(H / 2^(max-L)), max = ceil(log2(max(W, H))), so the top level is
 * level 0 of the slide and level 0 of the pyramid is one pixel. Tiles are `size` pixels plus
 * `overlap` on each inner side. Pure functions: the tile renderer and the tests share them.
 */

export interface DziSpec {
  readonly width: number;
  readonly height: number;
  readonly tileSize: number;
  readonly overlap: number;
}

export const DZI_TILE_SIZE = 254;
export const DZI_OVERLAP = 1;

export function dziMaxLevel(width: number, height: number): number {
  return Math.ceil(Math.log2(Math.max(width, height, 1)));
}

/** Level-0 pixels per pixel of DZI level `level`. */
export function dziScale(spec: DziSpec, level: number): number {
  return 2 ** (dziMaxLevel(spec.width, spec.height) - level);
}

export function dziLevelSize(spec: DziSpec, level: number): { width: number; height: number } {
  const s = dziScale(spec, level);
  return { width: Math.ceil(spec.width / s), height: Math.ceil(spec.height / s) };
}

/** A tile's rectangle in the pixels of its DZI level, or null when (level, col, row) is not a tile. */
export function dziTileRect(spec: DziSpec, level: number, col: number, row: number): { x: number; y: number; w: number; h: number } | null {
  const max = dziMaxLevel(spec.width, spec.height);
  if (![level, col, row].every(Number.isSafeInteger) || level < 0 || level > max || col < 0 || row < 0) return null;
  const { width, height } = dziLevelSize(spec, level);
  const cols = Math.ceil(width / spec.tileSize), rows = Math.ceil(height / spec.tileSize);
  if (col >= cols || row >= rows) return null;
  const x = Math.max(0, col * spec.tileSize - spec.overlap), y = Math.max(0, row * spec.tileSize - spec.overlap);
  const x1 = Math.min(width, (col + 1) * spec.tileSize + spec.overlap), y1 = Math.min(height, (row + 1) * spec.tileSize + spec.overlap);
  return { x, y, w: x1 - x, h: y1 - y };
}

export function dziXml(spec: DziSpec, format = 'jpeg'): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Image xmlns="http://schemas.microsoft.com/deepzoom/2008" Format="${format}" Overlap="${spec.overlap}" TileSize="${spec.tileSize}">` +
    `<Size Width="${spec.width}" Height="${spec.height}"/></Image>\n`
  );
}

/** The slide level to read a DZI level from: the smallest one at least as detailed (OpenSlide's rule). */
export function bestSlideLevel(downsamples: readonly number[], scale: number): number {
  let best = 0;
  for (let i = 0; i < downsamples.length; i++) {
    if (downsamples[i]! <= scale * (1 + 1e-9) && downsamples[i]! >= downsamples[best]!) best = i;
  }
  return best;
}
