/**
 * What an image file's header says, without decoding its pixels (sharp reads only the header),
 * and which codec build encodes and decodes here (recorded where outputs must be reproducible).
 */
import sharp from 'sharp';

export interface ImageHeader {
  /** 0 when the header names no size */
  width: number;
  height: number;
}

/** Width and height from the header of a file (path) or of bytes in memory; no pixel limit. */
export async function readImageHeader(input: string | Buffer): Promise<ImageHeader> {
  const meta = await sharp(input, { limitInputPixels: false }).metadata();
  return { width: meta.width ?? 0, height: meta.height ?? 0 };
}

/** Versions of sharp and libvips, whose encoders fix the bytes of every PNG/JPEG we write. */
export function codecVersions(): { sharp: string; vips: string } {
  return { sharp: sharp.versions.sharp ?? 'unknown', vips: sharp.versions.vips };
}
