/** Expanding CLI inputs (files, folders, globs) into a sorted list of image files. */
import { statSync, readdirSync } from 'node:fs';
import { join, extname, isAbsolute } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.tif', '.tiff', '.webp'];

export interface ExpandedInputs {
  files: string[];
  /** one line per input that matched nothing */
  errors: string[];
}

export interface ExpandOptions {
  /**
   * A folder that is itself one input (a DICOM series: one file per pyramid level): returns the
   * files it consists of, which are then not listed on their own; null for ordinary folders.
   */
  slideFolder?: (dir: string) => readonly string[] | null;
}

function listFolder(dir: string, extensions: readonly string[], options: ExpandOptions): string[] {
  const unit = options.slideFolder?.(dir) ?? null;
  const consumed = new Set(unit ?? []);
  const out: string[] = unit ? [dir] : [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const full = join(dir, entry.name);
    if (consumed.has(full)) continue;
    if (entry.isDirectory()) out.push(...listFolder(full, extensions, options));
    else if (extensions.includes(extname(entry.name).toLowerCase())) out.push(full);
  }
  return out.sort();
}

/**
 * Files are taken as given (whatever their extension), folders are searched recursively for
 * files with the given extensions, glob patterns are expanded. Duplicates are dropped, order kept.
 */
export async function expandInputs(inputs: readonly string[], extensions: readonly string[] = IMAGE_EXTENSIONS, options: ExpandOptions = {}): Promise<ExpandedInputs> {
  const files: string[] = [];
  const errors: string[] = [];
  for (const input of inputs) {
    let stat;
    try {
      stat = statSync(input);
    } catch {
      stat = undefined;
    }
    if (stat?.isFile()) files.push(input);
    else if (stat?.isDirectory()) {
      const found = listFolder(input, extensions, options);
      if (found.length === 0) errors.push(`${input}: folder holds no ${extensions.join('/')} files`);
      files.push(...found);
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
