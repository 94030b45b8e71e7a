/**
 * Atomic file writes: readers see either the old file or the complete new one, never a
 * truncated or half-written file, even if the process dies mid-write or the producer fails.
 *
 * The data goes to a uniquely named temporary file in the target's folder (same filesystem, so
 * rename is atomic), is fsynced, and is renamed over the target; the folder is then fsynced so
 * the rename itself survives a crash. On any failure the temporary file is removed.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { namedFsError } from './fs-errors.js';

export type AtomicData =
  | string
  | Uint8Array
  | Iterable<string | Uint8Array>
  | AsyncIterable<string | Uint8Array>;

export interface AtomicWriteOptions {
  /** permission bits for a new file (default 0o666, reduced by the umask) */
  mode?: number;
}

/** Temporary name beside the target: hidden, unique per process and call, recognisably ours. */
export function tempPathFor(path: string): string {
  const abs = resolve(path);
  return join(dirname(abs), `.${basename(abs)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

function isChunkIterable(d: AtomicData): d is Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array> {
  return typeof d !== 'string' && !(d instanceof Uint8Array);
}

/**
 * Write `data` to `path` atomically (see the file comment). Rejects, leaving `path` untouched, on
 * any failure; a file-system failure (ENOSPC, EACCES, ...) says `<path>: cannot write (<reason>)`,
 * naming the target rather than the temporary file, and keeps its `code`.
 */
export async function writeFileAtomic(path: string, data: AtomicData, opts: AtomicWriteOptions = {}): Promise<void> {
  try {
    await writeAtomic(path, data, opts);
  } catch (err) {
    throw namedFsError(path, 'write', err);
  }
}

async function writeAtomic(path: string, data: AtomicData, opts: AtomicWriteOptions): Promise<void> {
  const target = resolve(path);
  const tmp = tempPathFor(target);
  const fh = await open(tmp, 'wx', opts.mode ?? 0o666);
  let renamed = false;
  try {
    try {
      if (isChunkIterable(data)) {
        for await (const chunk of data) await fh.write(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
      } else {
        await fh.writeFile(data);
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
    renamed = true;
  } finally {
    if (!renamed) await unlink(tmp).catch(() => undefined);
  }
  await syncDir(dirname(target));
}

/** fsync a folder so a rename in it is durable; a no-op where folders cannot be opened (Windows). */
async function syncDir(dir: string): Promise<void> {
  let dh;
  try {
    dh = await open(dir, 'r');
    await dh.sync();
  } catch {
    // Best effort: durability of the rename, not correctness of the content, depends on this.
  } finally {
    await dh?.close().catch(() => undefined);
  }
}

/**
 * Synchronous twin of writeFileAtomic for code that must not yield mid-write (training checkpoints
 * written between epochs, synth list files). Same temp naming, fsync and rename; no folder fsync.
 */
export function writeFileAtomicSync(path: string, data: string | Uint8Array): void {
  try {
    writeAtomicSync(path, data);
  } catch (err) {
    throw namedFsError(path, 'write', err);
  }
}

function writeAtomicSync(path: string, data: string | Uint8Array): void {
  const target = resolve(path);
  const tmp = tempPathFor(target);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'wx');
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, target);
  } catch (err) {
    if (fd !== null) closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
}
