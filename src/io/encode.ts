/**
 * Encoding RgbImages through sharp: PNG for storage and a JPEG round trip that adds the
 * compression artefacts scanners bake into their tiles. Both are deterministic for the same
 * input, options and libvips build (no timestamps or other metadata are written), so a seeded
 * synthetic dataset is byte-identical from run to run.
 */
import sharp, { type Sharp } from 'sharp';
import type { RgbImage } from '../core/image.js';

function raw(img: RgbImage): Sharp {
  const bytes = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  return sharp(bytes, { raw: { width: img.width, height: img.height, channels: 3 } });
}

/** Lossless PNG (zlib level 6 by default: a fair size/speed trade-off for datasets). */
export async function encodePng(img: RgbImage, compressionLevel = 6): Promise<Buffer> {
  if (!Number.isInteger(compressionLevel) || compressionLevel < 0 || compressionLevel > 9) {
    throw new Error(`Expected integer between 0 and 9 for PNG compression level but received ${compressionLevel}`);
  }
  return raw(img).png({ compressionLevel, adaptiveFiltering: false }).toBuffer();
}

/** Encode as baseline JPEG at `quality` (4:2:0 chroma, as scanners do) and decode back to RGB. */
export async function jpegRoundTrip(img: RgbImage, quality: number): Promise<RgbImage> {
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) {
    throw new Error(`Expected integer between 1 and 100 for JPEG quality but received ${quality}`);
  }
  const jpeg = await raw(img).jpeg({ quality, chromaSubsampling: '4:2:0', mozjpeg: false }).toBuffer();
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || info.width !== img.width || info.height !== img.height) {
    throw new Error(`JPEG round trip returned ${info.width}x${info.height}x${info.channels}, expected ${img.width}x${img.height}x3`);
  }
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** Rasterise an SVG document to PNG (librsvg inside sharp), at its own size. */
export async function svgToPng(svg: string): Promise<Buffer> {
  return sharp(Buffer.from(svg, 'utf8'), { limitInputPixels: 64 * 1024 * 1024 }).png({ compressionLevel: 9, adaptiveFiltering: true }).toBuffer();
}

/** Raw pixels of a map: RGB (3 channels) or grey (1 channel), row-major. */
export interface RawPixels {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  readonly data: Uint8Array;
}

/**
 * A map PNG: `pixels` with an SVG panel (legend, colour bar) drawn over it from row `top` down.
 * Grey maps stay single-channel PNGs: the composite yields grey + alpha, so its grey channel is
 * taken alone before encoding.
 */
export async function pngWithPanel(pixels: RawPixels, svg: string, top: number, overlaySvg?: string): Promise<Buffer> {
  const { width, height, channels } = pixels;
  if (pixels.data.length !== width * height * channels) {
    throw new Error(`Expected ${width * height * channels} bytes for a ${width}x${height}x${channels} image but received ${pixels.data.length}`);
  }
  const raw = { width, height, channels };
  const panel = [{ input: Buffer.from(svg, 'utf8'), left: 0, top }];
  // an optional second SVG drawn from the top-left corner (a heat map's "NO TISSUE FOUND" banner)
  if (overlaySvg !== undefined) panel.push({ input: Buffer.from(overlaySvg, 'utf8'), left: 0, top: 0 });
  const bytes = Buffer.from(pixels.data.buffer, pixels.data.byteOffset, pixels.data.byteLength);
  if (channels === 3) return sharp(bytes, { raw }).composite(panel).png().toBuffer();
  const drawn = await sharp(bytes, { raw }).composite(panel).toColourspace('b-w').extractChannel(0).raw().toBuffer();
  return sharp(drawn, { raw }).toColourspace('b-w').png().toBuffer();
}

/** Baseline JPEG at `quality` (4:2:0 chroma): what the viewer's Deep Zoom tiles are sent as. */
export async function encodeJpeg(img: RgbImage, quality = 85): Promise<Buffer> {
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) {
    throw new Error(`Expected integer between 1 and 100 for JPEG quality but received ${quality}`);
  }
  return raw(img).jpeg({ quality, chromaSubsampling: '4:2:0', mozjpeg: false }).toBuffer();
}
