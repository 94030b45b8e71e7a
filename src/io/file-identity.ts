/**
 * A slide's identity, for resume: which file (its real path, links resolved) and which content
 * (size, modification time and a SHA-256 of its first and last bytes, where slide formats keep
 * their headers, directories and labels). Two slides with the same file name in different folders
 * differ by path; a slide replaced under the same path differs by size, mtime or the sampled bytes.
 * Hashing the ends only keeps this cheap for multi-GB slides: a change confined to the middle of
 * a file that keeps its size and mtime is not seen (writing a file changes its mtime).
 *
 * A folder that is one slide (a DICOM series) is identified by its regular, non-hidden files:
 * their names, sizes, mtimes and sampled bytes, in name order.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readdirSync, readSync, realpathSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { namedFsError } from './fs-errors.js';

/** Bytes hashed at each end of a file. */
export const IDENTITY_SAMPLE_BYTES = 65536;

export interface FileIdentity {
  /** real path (symbolic links and relative parts resolved) */
  path: string;
  kind: 'file' | 'folder';
  /** bytes (a folder: the sum over its files) */
  size: number;
  /** modification time in ms since the epoch (a folder: the latest of its files) */
  mtimeMs: number;
  /** hex SHA-256 over the first and last IDENTITY_SAMPLE_BYTES of the file (a folder: of each file's name, size, mtime and sample) */
  sha256: string;
}

function sampleHash(path: string, size: number): string {
  const h = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const n = Math.min(size, IDENTITY_SAMPLE_BYTES);
    const buf = Buffer.alloc(n);
    const read = (pos: number): void => {
      let off = 0;
      while (off < n) {
        const got = readSync(fd, buf, off, n - off, pos + off);
        if (got === 0) throw new Error(`file shrank while being read (${pos + off} of ${size} bytes)`);
        off += got;
      }
      h.update(buf);
    };
    read(0);
    // The tail too, unless it is the head already (small files).
    if (size > n) read(size - n);
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

/** The identity of a slide file or slide folder; one-line errors name the path. */
export function fileIdentity(path: string): FileIdentity {
  try {
    const real = realpathSync(path);
    const st = statSync(real);
    if (st.isFile()) return { path: real, kind: 'file', size: st.size, mtimeMs: st.mtimeMs, sha256: sampleHash(real, st.size) };
    if (st.isDirectory()) return folderIdentity(real);
    throw new Error(`${path}: not a regular file or folder`);
  } catch (err) {
    throw namedFsError(path, 'read', err);
  }
}

function folderIdentity(dir: string): FileIdentity {
  const h = createHash('sha256');
  let size = 0, mtimeMs = 0;
  const names = readdirSync(dir).filter((n) => !n.startsWith('.')).sort();
  for (const name of names) {
    const full = join(dir, name);
    let st: Stats;
    try {
      st = statSync(full);
    } catch {
      continue; // a broken link is no part of the slide (the reader skips it too)
    }
    if (!st.isFile()) continue;
    size += st.size;
    mtimeMs = Math.max(mtimeMs, st.mtimeMs);
    h.update(`${name}\0${st.size}\0${st.mtimeMs}\0${sampleHash(full, st.size)}\n`);
  }
  return { path: dir, kind: 'folder', size, mtimeMs, sha256: h.digest('hex') };
}

/** Why two identities are not the same slide content, or null when they are. */
export function identityChange(stored: FileIdentity, now: FileIdentity): string | null {
  if (stored.path !== now.path) return `another slide (${stored.path})`;
  if (stored.kind !== now.kind) return `was a ${stored.kind}, now a ${now.kind}`;
  if (stored.size !== now.size) return `size changed (${stored.size} → ${now.size} bytes)`;
  if (stored.mtimeMs !== now.mtimeMs) return `modified (${new Date(stored.mtimeMs).toISOString()} → ${new Date(now.mtimeMs).toISOString()})`;
  if (stored.sha256 !== now.sha256) return 'content changed (sampled bytes differ)';
  return null;
}
