/**
 * One-line file errors: Node's fs errors name the syscall but often not the file (a failed
 * write(2) says only "ENOSPC: no space left on device, write"), and a temporary file's name means
 * nothing to the user. These helpers name the file the user knows and the reason in words.
 */

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a parent is not a folder',
  EISDIR: 'is a folder',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
  EFBIG: 'file too large for the file system',
};

/** The `code` of a Node system error (ENOSPC, EACCES, ...), or null for other errors. */
export function fsErrorCode(err: unknown): string | null {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? code : null;
}

/** `no space left on device (ENOSPC)`, or the first line of the message for unknown codes. */
export function fsReason(err: unknown): string {
  const code = fsErrorCode(err);
  if (code && REASONS[code]) return `${REASONS[code]} (${code})`;
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}

/**
 * `<path>: cannot <action> (<reason>)[; <hint>]` for a system error, keeping its `code` (callers
 * test it) and the original as `cause`; any other error is returned unchanged.
 */
export function namedFsError(path: string, action: string, err: unknown, hint?: string): unknown {
  const code = fsErrorCode(err);
  if (code === null) return err;
  return Object.assign(new Error(`${path}: cannot ${action} (${fsReason(err)})${hint ? `; ${hint}` : ''}`, { cause: err }), { code });
}
