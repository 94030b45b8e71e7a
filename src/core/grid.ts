/** Dense crop grid of the original implementation (pure TS). */

export interface CropGrid {
  readonly cropSize: number;
  readonly stride: number;
  /** x origins (columns), ascending */
  readonly xs: readonly number[];
  /** y origins (rows), ascending */
  readonly ys: readonly number[];
  readonly rows: number;
  readonly cols: number;
}

/** Origins 0, stride, 2*stride, ... <= dim - crop (the original's `arange(0, dim-crop+1, stride)`). */
export function cropOrigins(dim: number, cropSize: number, stride: number): number[] {
  const out: number[] = [];
  for (let o = 0; o <= dim - cropSize; o += stride) out.push(o);
  return out;
}

/**
 * The crop grid over a width x height image. Crops are ordered y outer, x inner
 * (index = row * cols + col), as the original `get_patches`.
 */
export function cropGrid(width: number, height: number, cropSize: number, stride: number, label = 'image'): CropGrid {
  if (!Number.isInteger(cropSize) || cropSize < 7) throw new Error(`Expected integer >= 7 for crop size but received ${cropSize}`);
  if (!Number.isInteger(stride) || stride < 1) throw new Error(`Expected positive integer for stride but received ${stride}`);
  if (width < cropSize || height < cropSize) {
    throw new Error(`${label} is ${width}x${height}, smaller than one ${cropSize}x${cropSize} crop`);
  }
  const xs = cropOrigins(width, cropSize, stride);
  const ys = cropOrigins(height, cropSize, stride);
  return { cropSize, stride, xs, ys, rows: ys.length, cols: xs.length };
}

/** Consecutive crop rows [r0, r1) of a grid read together as one band of image rows [top, top + height). */
export interface RowBand {
  readonly r0: number;
  readonly r1: number;
  readonly top: number;
  readonly height: number;
}

/**
 * Splits a grid's crop rows into bands of at most `maxRows` image rows each (but always at least
 * one crop row, so a band is never shorter than a crop), so an image can be scored a band at a
 * time: every crop lies wholly inside one band, and each crop row is in exactly one band.
 */
export function rowBands(grid: Pick<CropGrid, 'ys' | 'cropSize'>, maxRows: number): RowBand[] {
  if (!Number.isInteger(maxRows) || maxRows < 1) throw new Error(`Expected positive integer for band rows but received ${maxRows}`);
  const bands: RowBand[] = [];
  for (let r0 = 0; r0 < grid.ys.length;) {
    const top = grid.ys[r0]!;
    let r1 = r0 + 1;
    while (r1 < grid.ys.length && grid.ys[r1]! + grid.cropSize - top <= maxRows) r1++;
    bands.push({ r0, r1, top, height: grid.ys[r1 - 1]! + grid.cropSize - top });
    r0 = r1;
  }
  return bands;
}
