/**
 * JPEG 2000 frames through OpenJPEG compiled to WebAssembly (@cornerstonejs/codec-openjpeg, the
 * decoder-only build): no native library, nothing fetched at run time (the .wasm ships in the
 * package). The module is loaded on the first JPEG 2000 frame. OpenJPEG reports problems through
 * its log callbacks rather than exceptions, so the log of each decode is captured and turned into
 * the error when the decode yields no image.
 */
import { createRequire } from 'node:module';

interface FrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned: boolean;
}

interface J2KDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  decode(): void;
  getFrameInfo(): FrameInfo;
  delete(): void;
}

interface OpenJpegModule {
  J2KDecoder: new () => J2KDecoder;
}

export interface J2kImage {
  readonly width: number;
  readonly height: number;
  readonly components: number;
  readonly bitsPerSample: number;
  /** Interleaved samples: one byte each up to 8 bits, else two (little endian). */
  readonly data: Uint8Array;
}

let modulePromise: Promise<OpenJpegModule> | null = null;
// The log lines of the decode in progress (decodes are synchronous, so one buffer serves).
let log: string[] = [];

function loadModule(): Promise<OpenJpegModule> {
  if (!modulePromise) {
    const require = createRequire(import.meta.url);
    const factory = require('@cornerstonejs/codec-openjpeg/decodewasmjs') as (opts: object) => Promise<OpenJpegModule>;
    const keep = (line: string): void => {
      if (log.length < 20) log.push(String(line));
    };
    modulePromise = factory({ print: keep, printErr: keep });
    modulePromise.catch(() => {
      modulePromise = null;
    });
  }
  return modulePromise;
}

/** Decode one JPEG 2000 codestream (or JP2 file); throws with OpenJPEG's own error line. */
export async function decodeJ2k(bytes: Uint8Array): Promise<J2kImage> {
  const mod = await loadModule();
  const decoder = new mod.J2KDecoder();
  log = [];
  try {
    decoder.getEncodedBuffer(bytes.length).set(bytes);
    decoder.decode();
    const info = decoder.getFrameInfo();
    const errors = log.filter((l) => l.includes('[ERROR]'));
    if (!info.width || !info.height || errors.length > 0) {
      const why = (errors[0] ?? log[log.length - 1] ?? 'no image decoded').replace('[ERROR]', '').trim();
      throw new Error(`JPEG 2000: ${why}`);
    }
    // The decoded buffer is a view into the WebAssembly heap: copy it out before the next decode.
    const data = decoder.getDecodedBuffer().slice();
    return { width: info.width, height: info.height, components: info.componentCount, bitsPerSample: info.bitsPerSample, data };
  } finally {
    decoder.delete();
  }
}
