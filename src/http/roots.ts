/**
 * The only gate through which the server reads a file: a path is served only when its real path
 * (symbolic links resolved) lies under one of the configured roots. Request paths never name
 * files directly (slides are looked up by id in the cohort index); this check is the second
 * wall, against a focus.json or a job naming a file elsewhere, and against links leading out.
 */
import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';

/** A root folder, resolved once to its real path. */
export interface Root {
  /** as given (for messages) */
  readonly given: string;
  readonly real: string;
}

export function makeRoot(dir: string): Root {
  let real: string;
  try {
    real = realpathSync(resolve(dir));
  } catch {
    throw new Error(`${dir}: folder not found`);
  }
  if (!statSync(real).isDirectory()) throw new Error(`${dir}: not a folder`);
  return { given: dir, real };
}

/** Whether `real` (an already resolved real path) is `root` or lies below it. */
export function isUnder(root: string, real: string): boolean {
  const rel = relative(root, real);
  return rel === '' || (!rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel));
}

export type Containment = { ok: true; real: string } | { ok: false; status: 403 | 404; reason: string };

/**
 * Where `path` really is, when it exists and lies under one of `roots`: 404 when it does not
 * exist, 403 when it (or a link on the way) leads outside every root.
 */
export function containedPath(path: string, roots: readonly Root[]): Containment {
  let real: string;
  try {
    real = realpathSync(resolve(path));
  } catch {
    return { ok: false, status: 404, reason: 'not found' };
  }
  if (roots.some((r) => isUnder(r.real, real))) return { ok: true, real };
  return { ok: false, status: 403, reason: 'outside the served folders' };
}
