/**
 * Lock files, so that concurrent runs writing into one folder do not do the same work twice.
 *
 * A lock is a small JSON file (`pid`, `hostname`, `createdAt`, a random `token`, and what it
 * guards) that appears atomically with its whole content: it is written under a temporary name
 * and hard-linked to the lock's name, which fails if the lock exists. Its holder touches it every
 * `heartbeatMs` while working. A lock is stale, and may be taken over, when its holder is on this
 * host and its pid is not running (killed, crashed, machine rebooted), or when it has not been
 * touched for `staleMs` (a holder on another host, or a hung one). Taking over renames the stale
 * lock aside first, so that of two runs breaking the same stale lock only one wins, and neither
 * removes a fresh lock the other has just made.
 *
 * Limits: a pid reused by an unrelated process keeps a dead holder's lock until `staleMs`; on a
 * network file system without hard links the lock falls back to an exclusive create.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, openSync, closeSync, writeSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, utimesSync } from 'node:fs';
import { hostname } from 'node:os';
import { fsErrorCode, namedFsError } from './fs-errors.js';

export interface LockInfo {
  pid: number;
  hostname: string;
  /** ISO time the lock was taken */
  createdAt: string;
  token: string;
  /** what the lock guards (e.g. the slide being scored), for messages */
  owner: string;
}

export interface LockOptions {
  /** a lock untouched for this long is stale whatever its pid (default 10 minutes) */
  staleMs?: number;
  /** how often the holder touches its lock (default 30 s; 0 = never) */
  heartbeatMs?: number;
}

export const DEFAULT_STALE_MS = 10 * 60_000;
export const DEFAULT_HEARTBEAT_MS = 30_000;

export interface HeldLock {
  readonly path: string;
  readonly info: LockInfo;
  /** whether the lock file is still ours (not taken over as stale) */
  stillHeld(): boolean;
  /** stop the heartbeat and remove the lock if it is still ours */
  release(): void;
}

export type LockAttempt =
  | { acquired: true; lock: HeldLock; /** the stale lock taken over, and why it was stale */ tookOver: { info: LockInfo | null; reason: string } | null }
  | { acquired: false; holder: LockInfo };

/** Whether a process with this pid runs on this host (EPERM: it runs, as another user). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return fsErrorCode(err) === 'EPERM';
  }
}

function parseLock(text: string): LockInfo | null {
  try {
    const d = JSON.parse(text) as Partial<LockInfo>;
    if (typeof d.pid === 'number' && typeof d.hostname === 'string' && typeof d.token === 'string' && typeof d.createdAt === 'string') {
      return { pid: d.pid, hostname: d.hostname, createdAt: d.createdAt, token: d.token, owner: typeof d.owner === 'string' ? d.owner : '' };
    }
  } catch {
    // not JSON: no holder could have written it (locks appear whole), so it is stale
  }
  return null;
}

/** The lock at `path` and when it was last touched, or null when there is none. */
export function readLock(path: string): { info: LockInfo | null; touchedMs: number } | null {
  try {
    const touchedMs = statSync(path).mtimeMs;
    return { info: parseLock(readFileSync(path, 'utf8')), touchedMs };
  } catch (err) {
    if (fsErrorCode(err) === 'ENOENT') return null;
    throw namedFsError(path, 'read', err);
  }
}

/** Why a lock is stale, or null while its holder may still be working. */
export function staleReason(info: LockInfo | null, touchedMs: number, now: number, staleMs: number, host = hostname(), alive = pidAlive): string | null {
  if (info === null) return 'lock file is not a focuslite lock';
  if (info.hostname === host && !alive(info.pid)) return `process ${info.pid} on ${host} is not running`;
  if (now - touchedMs > staleMs) return `not touched for ${Math.round((now - touchedMs) / 1000)} s`;
  return null;
}

/** One line naming a lock's holder: `pid 123 on host since <time>`. */
export function describeHolder(info: LockInfo): string {
  return `pid ${info.pid} on ${info.hostname} since ${info.createdAt}`;
}

function tmpName(path: string): string {
  return `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
}

/** Create the lock file atomically with its content; false if it exists. */
function createLock(path: string, content: string): boolean {
  const tmp = tmpName(path);
  const fd = openSync(tmp, 'wx');
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path);
    return true;
  } catch (err) {
    const code = fsErrorCode(err);
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
  // No hard links here: an exclusive create (a reader may see it empty for a moment: it then
  // counts as stale only after staleMs, see takeOverIfStale).
  let fd2: number;
  try {
    fd2 = openSync(path, 'wx');
  } catch (err) {
    if (fsErrorCode(err) === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd2, content);
  } finally {
    closeSync(fd2);
  }
  return true;
}

/**
 * Remove a stale lock without removing a fresh one: rename it aside, check that what was renamed
 * is the lock judged stale, and put it back otherwise. True when the stale lock is gone.
 */
export function breakLock(path: string, judged: LockInfo | null): boolean {
  const aside = tmpName(path) + '.stale';
  try {
    renameSync(path, aside);
  } catch (err) {
    if (fsErrorCode(err) === 'ENOENT') return true; // released or broken meanwhile: try again
    throw err;
  }
  let moved: LockInfo | null = null;
  try {
    moved = parseLock(readFileSync(aside, 'utf8'));
  } catch {
    // unreadable: treat as what was judged
  }
  const same = judged === null ? moved === null : moved?.token === judged.token;
  if (!same) {
    // A fresh lock made after the judgement: put it back (unless yet another appeared).
    try {
      linkSync(aside, path);
    } catch {
      // the place is taken again; the newest lock stands
    }
  }
  rmSync(aside, { force: true });
  return same;
}

/**
 * Try once to take the lock at `path` for `owner`; a stale lock is taken over. Never waits: a
 * live holder's lock is reported (acquired: false) for the caller to come back to later.
 */
export function tryLock(path: string, owner: string, opts: LockOptions = {}): LockAttempt {
  const staleMs = opts.staleMs ?? DEFAULT_STALE_MS;
  const info: LockInfo = { pid: process.pid, hostname: hostname(), createdAt: new Date().toISOString(), token: randomBytes(12).toString('hex'), owner };
  const content = JSON.stringify(info) + '\n';
  let tookOver: { info: LockInfo | null; reason: string } | null = null;
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      if (createLock(path, content)) return { acquired: true, lock: holdLock(path, info, opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS), tookOver };
      const found = readLock(path);
      if (found === null) continue; // released meanwhile
      // An empty file may be a lock being written without hard links: only its age makes it stale.
      const reason = found.info === null && Date.now() - found.touchedMs <= staleMs ? null : staleReason(found.info, found.touchedMs, Date.now(), staleMs);
      if (reason === null) {
        if (found.info) return { acquired: false, holder: found.info };
        continue;
      }
      if (breakLock(path, found.info)) tookOver = { info: found.info, reason };
    }
  } catch (err) {
    throw namedFsError(path, 'lock', err);
  }
  const now = readLock(path)?.info;
  if (now) return { acquired: false, holder: now };
  throw new Error(`${path}: cannot lock (the lock file keeps changing)`);
}

function holdLock(path: string, info: LockInfo, heartbeatMs: number): HeldLock {
  const stillHeld = (): boolean => {
    try {
      return parseLock(readFileSync(path, 'utf8'))?.token === info.token;
    } catch {
      return false;
    }
  };
  const timer = heartbeatMs > 0
    ? setInterval(() => {
      try {
        const now = new Date();
        utimesSync(path, now, now);
      } catch {
        // gone: stillHeld() says so to whoever asks
      }
    }, heartbeatMs)
    : null;
  timer?.unref();
  let released = false;
  return {
    path,
    info,
    stillHeld,
    release() {
      if (released) return;
      released = true;
      if (timer) clearInterval(timer);
      if (!stillHeld()) return;
      try {
        unlinkSync(path);
      } catch (err) {
        if (fsErrorCode(err) !== 'ENOENT') throw namedFsError(path, 'remove', err);
      }
    },
  };
}

/** Take the lock, waiting (polling every `pollMs`) while a live holder has it. */
export async function waitForLock(path: string, owner: string, opts: LockOptions & { pollMs?: number; onWait?: (holder: LockInfo) => void } = {}): Promise<LockAttempt & { acquired: true }> {
  let told = false;
  for (;;) {
    const got = tryLock(path, owner, opts);
    if (got.acquired) return got;
    if (!told) opts.onWait?.(got.holder);
    told = true;
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 200));
  }
}
