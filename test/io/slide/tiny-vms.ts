/**
 * A tiny Hamamatsu VMS writer for tests (no vendor sample is available here), following what
 * OpenSlide 3.4 reads: a `.vms` key file ([Virtual Microscope Specimen]: NoJpegColumns,
 * NoJpegRows, ImageFile(x,y), MapFile, MacroImage, PhysicalWidth/Height in nm, SourceLens)
 * naming baseline JPEGs that must carry restart markers, since OpenSlide reads them tile by
 * tile: a tile is the run of MCUs between two restart markers (one MCU row tall).
 *
 * Neither sharp nor libvips writes restart markers, so restartJpeg() builds such a JPEG from
 * sharp's output: it encodes each restart interval (interval MCUs wide, one MCU row tall) as a
 * JPEG of its own with the standard Huffman tables (optimiseCoding off) and the same quality,
 * so every piece has the same tables; a piece's entropy-coded data then is exactly a restart
 * segment (DC predictions start from 0, the last byte is padded with 1-bits). The segments are
 * joined in raster order with RST0..RST7 between them, under the first piece's header with the
 * full image size in SOF0 and a DRI segment added.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

/** Where a baseline JPEG's header ends (after the SOS segment) and its SOF0 starts. */
function jpegParts(jpeg: Uint8Array): { sof: number; sosEnd: number; eoi: number } {
  let p = 2;
  let sof = -1;
  while (p < jpeg.length) {
    if (jpeg[p] !== 0xff) throw new Error(`restartJpeg: marker expected at ${p}`);
    const marker = jpeg[p + 1]!;
    const len = (jpeg[p + 2]! << 8) | jpeg[p + 3]!;
    if (marker === 0xc0) sof = p;
    else if (marker >= 0xc1 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      throw new Error('restartJpeg: not a baseline JPEG');
    }
    p += 2 + len;
    if (marker === 0xda) break;
  }
  if (sof < 0) throw new Error('restartJpeg: no SOF0');
  if (jpeg[jpeg.length - 2] !== 0xff || jpeg[jpeg.length - 1] !== 0xd9) throw new Error('restartJpeg: no EOI at the end');
  return { sof, sosEnd: p, eoi: jpeg.length - 2 };
}

/**
 * A baseline 4:4:4 JPEG of an RGB image with a restart marker every `interval` MCUs (8 x 8
 * pixels each). Width must be a multiple of 8 * interval, height a multiple of 8.
 */
export async function restartJpeg(rgb: Uint8Array, width: number, height: number, interval: number, quality = 100): Promise<Uint8Array> {
  const segW = 8 * interval;
  if (width % segW || height % 8) throw new Error(`restartJpeg: ${width}x${height} is not a whole number of ${segW}x8 segments`);
  let header: Uint8Array | null = null;
  let firstHead: Uint8Array | null = null;
  const segments: Uint8Array[] = [];
  const piece = new Uint8Array(segW * 8 * 3);
  for (let y = 0; y < height; y += 8) {
    for (let x = 0; x < width; x += segW) {
      for (let r = 0; r < 8; r++) piece.set(rgb.subarray(((y + r) * width + x) * 3, ((y + r) * width + x + segW) * 3), r * segW * 3);
      const j = new Uint8Array(await sharp(piece, { raw: { width: segW, height: 8, channels: 3 } })
        .jpeg({ quality, chromaSubsampling: '4:4:4', optimiseCoding: false, progressive: false })
        .toBuffer());
      const { sof, sosEnd, eoi } = jpegParts(j);
      const head = j.subarray(0, sosEnd);
      if (!firstHead) {
        firstHead = new Uint8Array(head);
        // full size in SOF0 (height at +5, width at +7), then DRI just before SOS
        const h = new Uint8Array(head);
        h[sof + 5] = height >> 8; h[sof + 6] = height & 255;
        h[sof + 7] = width >> 8; h[sof + 8] = width & 255;
        let sos = 2;
        while (h[sos + 1] !== 0xda) sos += 2 + ((h[sos + 2]! << 8) | h[sos + 3]!);
        header = new Uint8Array([...h.subarray(0, sos), 0xff, 0xdd, 0, 4, interval >> 8, interval & 255, ...h.subarray(sos)]);
      } else if (head.length !== firstHead.length || head.some((b, i) => b !== firstHead![i])) {
        throw new Error('restartJpeg: the pieces were encoded with different tables');
      }
      segments.push(j.subarray(sosEnd, eoi));
    }
  }
  const parts: number[] = [];
  segments.forEach((s, i) => {
    if (i > 0) parts.push(0xff, 0xd0 + ((i - 1) % 8));
    for (const b of s) parts.push(b);
  });
  return new Uint8Array([...header!, ...parts, 0xff, 0xd9]);
}

export interface VmsSlide {
  /** JPEGs (with restart markers) of level 0, row-major, cols x rows of them. */
  images: Uint8Array[];
  cols: number;
  rows: number;
  /** The map: a smaller JPEG (with restart markers) of the whole slide. */
  map: Uint8Array;
  macro?: Uint8Array;
  /** Physical size of level 0 in nm. */
  physicalWidth: number;
  physicalHeight: number;
  objective: number;
  extra?: Record<string, string>;
}

/** Write `<dir>/slide.vms` and its JPEGs; returns the .vms path. */
export function writeVms(dir: string, s: VmsSlide): string {
  const lines = ['[Virtual Microscope Specimen]', 'NoLayers=1', `NoJpegColumns=${s.cols}`, `NoJpegRows=${s.rows}`];
  s.images.forEach((jpeg, i) => {
    const [x, y] = [i % s.cols, Math.floor(i / s.cols)];
    const name = `image_${x}_${y}.jpg`;
    writeFileSync(join(dir, name), jpeg);
    lines.push(`ImageFile(${x},${y})=${name}`);
  });
  writeFileSync(join(dir, 'map.jpg'), s.map);
  lines.push('MapFile=map.jpg');
  if (s.macro) {
    writeFileSync(join(dir, 'macro.jpg'), s.macro);
    lines.push('MacroImage=macro.jpg');
  }
  lines.push(`PhysicalWidth=${s.physicalWidth}`, `PhysicalHeight=${s.physicalHeight}`, `SourceLens=${s.objective}`,
    ...Object.entries(s.extra ?? {}).map(([k, v]) => `${k}=${v}`), '');
  const path = join(dir, 'slide.vms');
  writeFileSync(path, lines.join('\r\n'));
  return path;
}
