/**
 * A FocusMeasure built from a score of a single-channel plane (pure TS). The plane (gray) is made
 * once per image and each crop is cut from it: the conversions are per pixel, so this gives the same
 * numbers as cutting the RGB crop and converting it, without converting every overlap again.
 */
import { integer } from '../check.js';
import type { RgbImage } from '../image.js';
import { cropPlane, type Plane } from './gray.js';
import { scratchF64, trimScratch } from './scratch.js';
import type { FocusMeasure, MeasureKind, MeasureScale } from './types.js';

export interface PlaneMeasureSpec {
  readonly name: string;
  readonly label: string;
  readonly kind?: MeasureKind;
  readonly scale?: MeasureScale;
  readonly reference: string;
  /** RGB -> the plane the measure works on (e.g. MATLAB gray / 255), into `out` when given */
  readonly toPlane: (image: RgbImage, out?: Float64Array) => Plane;
  /** plane -> score, higher = blurrier (must not keep the plane: it is a reused buffer) */
  readonly scorePlane: (plane: Plane) => number;
}

function checkOrigins(image: RgbImage, xs: ArrayLike<number>, ys: ArrayLike<number>, cropSize: number): void {
  if (xs.length !== ys.length) throw new Error(`Expected as many y origins as x origins (${xs.length}) but received ${ys.length}`);
  integer('crop size', cropSize, 1, 1e6);
  if (cropSize > image.width || cropSize > image.height) {
    throw new Error(`image is ${image.width}x${image.height}, smaller than one ${cropSize}x${cropSize} crop`);
  }
}

export function planeMeasure(spec: PlaneMeasureSpec): FocusMeasure {
  const { toPlane, scorePlane } = spec;
  return {
    name: spec.name,
    label: spec.label,
    kind: spec.kind ?? 'knowledge-based',
    parameters: 0,
    scale: spec.scale ?? 'relative',
    nativeUnit: 'image',
    reference: spec.reference,
    scoreImage(image) {
      try {
        return scorePlane(toPlane(image, scratchF64('plane.image', image.width * image.height)));
      } finally {
        trimScratch();
      }
    },
    scoreCrops(image, xs, ys, cropSize) {
      checkOrigins(image, xs, ys, cropSize);
      try {
        const plane = toPlane(image, scratchF64('plane.image', image.width * image.height));
        const out = new Float64Array(xs.length);
        for (let i = 0; i < xs.length; i++) {
          out[i] = scorePlane(cropPlane(plane, xs[i]!, ys[i]!, cropSize, cropSize, scratchF64('plane.crop', cropSize * cropSize)));
        }
        return out;
      } finally {
        trimScratch();
      }
    },
  };
}
