/** Expanding CLI inputs (files, folders, globs) into a sorted list of image files. */
import { readdirSync, statSync, type Dirent, type Stats } from 'node:fs';
import { join, extname, isAbsolute } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.tif', '.tiff', '.webp'];

export interface ExpandedInputs {
  files: string[];
  /**
   * One line per problem, naming the path: an input that matched nothing, a folder or subfolder
   * that cannot be read, a broken symbolic link. The files found are listed all the same.
   */
  errors: string[];
}

export interface ExpandOptions {
  /**
   * A folder that is itself one input (a DICOM series: one file per pyramid level): returns the
   * files it consists of, which are then not listed on their own; null for ordinary folders.
   */
  slideFolder?: (dir: string) => readonly string[] | null;
}

/** Why a file-system call failed, in the words a user needs ("permission denied", not EACCES). */
export function fsProblem(err: unknown): string {
  const code = err && typeof err === 'object' && 'code' in err ? String(err.code) : '';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOENT') return 'file not found';
  if (code === 'ELOOP') return 'too many levels of symbolic links';
  if (code === 'ENOTDIR') return 'a path component is not a folder';
  return err instanceof Error ? err.message.split('\n')[0]! : String(err);
}

/** Folder identity (device + inode), so a folder reached twice (symbolic links, loops) is listed once. */
function folderKey(st: Stats): string {
  return `${st.dev}:${st.ino}`;
}

interface Walk {
  readonly extensions: readonly string[];
  readonly options: ExpandOptions;
  /** folders already listed under this input */
  readonly seen: Set<string>;
  readonly errors: string[];
}

/**
 * Files under a folder, recursively, sorted. Symbolic links are followed, to files and to folders
 * alike; a folder already listed (a link back up the tree, or a second link to it) is not listed
 * again, so loops end. A subfolder that cannot be read, or a broken link, is reported in
 * `walk.errors` (path and reason) and the rest is still listed.
 */
function listFolder(dir: string, st: Stats, walk: Walk): string[] {
  const key = folderKey(st);
  if (walk.seen.has(key)) return [];
  walk.seen.add(key);
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    walk.errors.push(`${dir}: cannot read folder (${fsProblem(err)})`);
    return [];
  }
  const unit = walk.options.slideFolder?.(dir) ?? null;
  const consumed = new Set(unit ?? []);
  const out: string[] = unit ? [dir] : [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = join(dir, entry.name);
    if (consumed.has(full)) continue;
    let isDir = entry.isDirectory();
    let isFile = entry.isFile();
    let target: Stats | undefined;
    if (isDir || entry.isSymbolicLink()) {
      try {
        target = statSync(full);
      } catch (err) {
        walk.errors.push(`${full}: ${entry.isSymbolicLink() ? `broken symbolic link (${fsProblem(err)})` : `cannot read (${fsProblem(err)})`}`);
        continue;
      }
      isDir = target.isDirectory();
      isFile = target.isFile();
    }
    if (isDir) out.push(...listFolder(full, target!, walk));
    // Only regular files: a FIFO or device named *.png would block or never end.
    else if (isFile && walk.extensions.includes(extname(entry.name).toLowerCase())) out.push(full);
  }
  return out.sort();
}

/**
 * Files are taken as given (whatever their extension), folders are searched recursively for
 * files with the given extensions (following symbolic links, each folder once), glob patterns are
 * expanded. Duplicates are dropped, order kept. Problems go to `errors`; they never stop the rest.
 */
export async function expandInputs(inputs: readonly string[], extensions: readonly string[] = IMAGE_EXTENSIONS, options: ExpandOptions = {}): Promise<ExpandedInputs> {
  const files: string[] = [];
  const errors: string[] = [];
  for (const input of inputs) {
    let stat: Stats | undefined;
    let problem: unknown;
    try {
      stat = statSync(input);
    } catch (err) {
      problem = err;
    }
    if (stat?.isFile()) files.push(input);
    else if (stat?.isDirectory()) {
      const before = errors.length;
      // Loop protection per input: a folder given twice (or inside another input) is listed for each.
      const found = listFolder(input, stat, { extensions, options, seen: new Set(), errors });
      if (found.length === 0 && errors.length === before) errors.push(`${input}: folder holds no ${extensions.join('/')} files`);
      files.push(...found);
    } else if (stat) {
      errors.push(`${input}: not a regular file or folder`);
    } else if (problem && fsProblem(problem) !== 'file not found') {
      errors.push(`${input}: ${fsProblem(problem)}`);
    } else if (isDynamicPattern(input)) {
      // Absolute patterns give absolute paths (tinyglobby would otherwise make them relative to the cwd).
      const found = (await glob(input, { onlyFiles: true, expandDirectories: false, absolute: isAbsolute(input) })).sort();
      if (found.length === 0) errors.push(`${input}: pattern matched no files`);
      files.push(...found);
    } else {
      errors.push(`${input}: file not found`);
    }
  }
  return { files: [...new Set(files)], errors };
}
