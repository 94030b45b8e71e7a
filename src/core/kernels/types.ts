/**
 * The conv+pool kernel interface. Backends (TS reference, WebAssembly SIMD) are registered by name
 * in ./registry.ts and chosen by priority. Pure TS: no platform imports.
 */
import type { RgbImage } from '../image.js';

/** The conv part of a model: what a kernel needs. */
export interface ConvWeights {
  readonly kernels: number;
  /** [N][3][7][7] */
  readonly convWeight: Float32Array;
  /** [N] */
  readonly convBias: Float32Array;
}

export interface PoolRequest {
  readonly image: RgbImage;
  /** x origin of each crop (crop i is at xs[i], ys[i]); crops must lie inside the image. */
  readonly xs: ArrayLike<number>;
  readonly ys: ArrayLike<number>;
  /** square crop side (235 for the published model); each crop is zero-padded by 1 on its own */
  readonly cropSize: number;
  /** also return per-kernel maxima (min-max pooling) */
  readonly wantMax?: boolean;
  /** also return the flat map position (row * mapSize + col) of each min (and max): used by training */
  readonly wantArgs?: boolean;
}

export interface PoolResult {
  /** [crop][kernel]: min over the conv map (bias included) */
  readonly mins: Float64Array;
  /** [crop][kernel] maxima, when asked for */
  readonly maxs: Float64Array | null;
  /** [crop][kernel] flat position of the min in the map, when asked for */
  readonly argMins: Int32Array | null;
  readonly argMaxs: Int32Array | null;
}

export interface ConvKernel {
  readonly name: string;
  /** Conv (stride 5, pad 1 per crop) + global min/max per kernel for every crop in the request. */
  pool(weights: ConvWeights, req: PoolRequest): PoolResult;
}

/** Checks shared by every backend, so each fails the same way on bad input. */
export function validatePoolRequest(weights: ConvWeights, req: PoolRequest): void {
  const { image, xs, ys, cropSize } = req;
  if (xs.length !== ys.length) throw new Error(`Expected as many y origins as x origins but received ${ys.length} and ${xs.length}`);
  if (!Number.isInteger(cropSize) || cropSize < 7) throw new Error(`Expected integer >= 7 for crop size but received ${cropSize}`);
  if (weights.convWeight.length !== weights.kernels * 147) throw new Error(`Expected ${weights.kernels * 147} conv weights but received ${weights.convWeight.length}`);
  if (image.data.length !== image.width * image.height * 3) throw new Error('Image buffer does not match its dimensions');
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!, y = ys[i]!;
    if (!Number.isInteger(x) || !Number.isInteger(y) || x < 0 || y < 0 || x + cropSize > image.width || y + cropSize > image.height) {
      throw new Error(`Crop ${i} at (${x},${y}) of size ${cropSize} lies outside the ${image.width}x${image.height} image`);
    }
  }
}
