/**
 * Image files to 8-bit RGB in the browser, as the CLI decodes them (io/decode.ts: no colour
 * management, alpha dropped, grey replicated): PNG, JPEG and WebP through the browser's own
 * decoders with colour-space conversion off; TIFF through UTIF (pure JS).
 */
import UTIF from 'utif2';

export interface Rgb { width: number; height: number; data: Uint8Array }

function rgbaToRgb(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): Rgb {
  const out = new Uint8Array(width * height * 3);
  for (let i = 0, o = 0; i < width * height * 4; i += 4, o += 3) {
    out[o] = rgba[i]!;
    out[o + 1] = rgba[i + 1]!;
    out[o + 2] = rgba[i + 2]!;
  }
  return { width, height, data: out };
}

const isTiff = (b: Uint8Array): boolean => (b[0] === 0x49 && b[1] === 0x49 && b[2] === 42) || (b[0] === 0x4d && b[1] === 0x4d && b[3] === 42);

export async function decodeFile(file: Blob): Promise<Rgb> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (isTiff(bytes)) {
    const ifds = UTIF.decode(bytes.buffer);
    const page = ifds[0];
    if (!page) throw new Error('TIFF without an image');
    UTIF.decodeImage(bytes.buffer, page);
    return rgbaToRgb(UTIF.toRGBA8(page), page.width, page.height);
  }
  // premultiplyAlpha 'none' keeps the colour of translucent pixels (the CLI drops alpha, it does not composite)
  const bmp = await createImageBitmap(new Blob([bytes]), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const canvas = new OffscreenCanvas(bmp.width, bmp.height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(bmp, 0, 0);
  const data = ctx.getImageData(0, 0, bmp.width, bmp.height).data;
  return rgbaToRgb(data, bmp.width, bmp.height);
}
