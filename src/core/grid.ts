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
