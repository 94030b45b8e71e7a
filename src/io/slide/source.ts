/**
 * Byte sources for header parsing, after geotiff.js's "sources": the TIFF tag reader asks for
 * byte ranges and never needs the whole file, so a multi-gigabyte slide costs a few small reads.
 * A file source (positioned reads on one handle) and an in-memory source are provided; anything
 * else (HTTP ranges, a cache) only has to implement ByteSource.
 */
import { open } from 'node:fs/promises';

export interface ByteSource {
  /** Names the data in error messages (usually the file path). */
  readonly name: string;
  readonly size: number;
  /** Exactly `length` bytes starting at `offset`; throws when the range runs past the end. */
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Thrown when a read runs past the end of the data (truncated or corrupt file). */
export class SourceRangeError extends Error {
  constructor(readonly offset: number, readonly length: number, readonly size: number) {
    super(`read of ${length} bytes at offset ${offset} runs past the end of the data (${size} bytes)`);
    this.name = 'SourceRangeError';
  }
}

function checkRange(offset: number, length: number, size: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
    throw new SourceRangeError(offset, length, size);
  }
}

export async function openFileSource(path: string): Promise<ByteSource> {
  const handle = await open(path, 'r');
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw Object.assign(new Error(`${path} is a directory`), { code: 'EISDIR' });
    const size = stat.size;
    return {
      name: path,
      size,
      async read(offset, length) {
        checkRange(offset, length, size);
        const buf = new Uint8Array(length);
        let done = 0;
        // A positioned read may return fewer bytes than asked; loop until the range is filled.
        while (done < length) {
          const { bytesRead } = await handle.read(buf, done, length - done, offset + done);
          if (bytesRead === 0) throw new SourceRangeError(offset, length, size);
          done += bytesRead;
        }
        return buf;
      },
      close: () => handle.close(),
    };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

export function bufferSource(bytes: Uint8Array, name = 'buffer'): ByteSource {
  return {
    name,
    size: bytes.length,
    async read(offset, length) {
      checkRange(offset, length, bytes.length);
      return bytes.slice(offset, offset + length);
    },
    async close() {},
  };
}
