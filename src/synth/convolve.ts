/**
 * Convolution of RGB images by per-channel PSFs (pure TS, no platform imports): directly for
 * small kernels, by FFT overlap-save (core/fft.ts, the one FFT of the project) for PSFs too large
 * for a direct sum (a 5 µm defocus at NA 0.75 spreads over ~25 px at 0.5 µm/px: 2,500 taps a
 * pixel). The FFT fields are powers of two.
 */
import { fft2 } from '../core/fft.js';
import type { RgbImage } from '../core/image.js';
import type { Kernel2D } from './defocus.js';
import { reflectIndex } from './defocus.js';

export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
}

export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** Above this kernel half-width an FFT convolution is cheaper than the direct sum. */
export const DIRECT_MAX_HALF = 4;

function toUint8(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}

/** Direct convolution of one channel plane with mirrored (half-sample symmetric) borders. */
function convolvePlaneDirect(img: RgbImage, c: number, k: Kernel2D, out: Uint8Array): void {
  const { width: w, height: h, data } = img;
  const size = 2 * k.half + 1;
  const xs = new Int32Array(w + 2 * k.half);
  for (let i = 0; i < xs.length; i++) xs[i] = reflectIndex(i - k.half, w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let ky = 0; ky < size; ky++) {
        const row = reflectIndex(y + ky - k.half, h) * w;
        for (let kx = 0; kx < size; kx++) {
          const wt = k.weights[ky * size + kx]!;
          if (wt !== 0) s += wt * data[(row + xs[x + kx]!) * 3 + c]!;
        }
      }
      out[(y * w + x) * 3 + c] = toUint8(s);
    }
  }
}

/**
 * FFT convolution of one channel plane by overlap-save: the image, extended by mirroring, is
 * cut into blocks of (field - 2·half) px; each block plus a `half` px apron is transformed,
 * multiplied by the kernel's spectrum and transformed back, and its inner part kept. The wrap of
 * the circular convolution only touches the apron, so the result equals the direct convolution
 * with mirrored borders (up to float rounding) at O(log field) per pixel.
 */
function convolvePlaneFft(img: RgbImage, c: number, k: Kernel2D, out: Uint8Array): void {
  const { width: w, height: h, data } = img;
  const half = k.half;
  const n = Math.max(64, nextPowerOfTwo(4 * half + 2));
  const block = n - 2 * half;
  const kr = new Float64Array(n * n);
  const ki = new Float64Array(n * n);
  const size = 2 * half + 1;
  for (let dy = -half; dy <= half; dy++) {
    for (let dx = -half; dx <= half; dx++) kr[((dy + n) % n) * n + ((dx + n) % n)] = k.weights[(dy + half) * size + dx + half]!;
  }
  fft2(kr, ki, n, n);
  const re = new Float64Array(n * n);
  const im = new Float64Array(n * n);
  const xs = new Int32Array(n);
  for (let by = 0; by < h; by += block) {
    for (let bx = 0; bx < w; bx += block) {
      // field (i, j) holds image pixel (bx + i - half, by + j - half), mirrored
      for (let i = 0; i < n; i++) xs[i] = reflectIndex(bx + i - half, w) * 3 + c;
      for (let j = 0; j < n; j++) {
        const row = reflectIndex(by + j - half, h) * w * 3;
        for (let i = 0; i < n; i++) re[j * n + i] = data[row + xs[i]!]!;
      }
      im.fill(0);
      fft2(re, im, n, n);
      for (let i = 0; i < re.length; i++) {
        const a = re[i]!, b = im[i]!, p = kr[i]!, q = ki[i]!;
        re[i] = a * p - b * q;
        im[i] = a * q + b * p;
      }
      fft2(re, im, n, n, true);
      const bw = Math.min(block, w - bx), bh = Math.min(block, h - by);
      for (let y = 0; y < bh; y++) {
        const src = (y + half) * n + half;
        const dst = ((by + y) * w + bx) * 3 + c;
        for (let x = 0; x < bw; x++) out[dst + x * 3] = toUint8(re[src + x]!);
      }
    }
  }
}

/**
 * Convolve each colour channel with its own kernel (mirrored borders, rounded to 8 bits). Small
 * kernels are applied directly, larger ones through the FFT; both give the same result.
 */
export function convolveChannels(img: RgbImage, kernels: readonly [Kernel2D, Kernel2D, Kernel2D], method: 'auto' | 'direct' | 'fft' = 'auto'): RgbImage {
  const out = new Uint8Array(img.data.length);
  for (let c = 0; c < 3; c++) {
    const k = kernels[c]!;
    const direct = method === 'direct' || (method === 'auto' && k.half <= DIRECT_MAX_HALF);
    if (direct) convolvePlaneDirect(img, c, k, out);
    else convolvePlaneFft(img, c, k, out);
  }
  return { width: img.width, height: img.height, data: out };
}
