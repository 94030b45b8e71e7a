/**
 * The splits of `focuslite cv`: random, by slide, or read from `path,split` lists (no file reads
 * here, no training).
 *
 * Splits:
 *   - by image (default): each image is drawn on its own; sizes are test = round(0.2 n),
 *     val = round(0.2 n), train = the rest.
 *   - by slide (--group-by slide): whole slides (the items' group) go to one part, so no z-level
 *     of a test patch is seen in training; slides are taken in shuffled order and each goes to
 *     test, then validation, while that brings the part closer to its 20 % image count, else to
 *     training. Sizes are then only near 60/20/20.
 *   - given: `path,split` files (split = train, val or test), one file per split; a path matches
 *     an item by its listed name or its path (relative to the image folder or absolute), with
 *     .tif/.tiff/.png treated as one (FocusPath lists .tif, stores .png). Items a file does not
 *     list take no part in that split.
 * Random splits are seeded: split j uses the j-th number drawn from Rng(seed) as its own seed, and
 * items (or slides) are sorted by path before shuffling, so a split depends only on the seed, its
 * index and the set of items, not on the list order or on how many splits are made.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import type { Dataset, DatasetItem } from '../io/datasets/index.js';
import { splitCsvLine } from '../io/datasets/index.js';
import { integer, oneOf } from '../core/check.js';
import { Rng } from '../core/random.js';

export type GroupBy = 'image' | 'slide';
export const GROUP_BY: readonly GroupBy[] = ['image', 'slide'];
export type SplitPart = 'train' | 'val' | 'test';
export const SPLIT_PARTS: readonly SplitPart[] = ['train', 'val', 'test'];

/** One split: indices into the dataset's items, ascending. */
export interface Split {
  train: number[];
  val: number[];
  test: number[];
}

export interface SplitSizes {
  train: number;
  val: number;
  test: number;
}

/** Parts smaller than this make validation (model selection) or test metrics meaningless. */
const MIN_PART = 2;

/** Image counts of a 60/20/20 split of n images: test and val round(0.2 n), train the rest. */
export function splitSizes(n: number): SplitSizes {
  integer('images', n, 0, Number.MAX_SAFE_INTEGER);
  const test = Math.round(0.2 * n);
  const val = Math.round(0.2 * n);
  return { train: n - test - val, val, test };
}

export function sizesOf(split: Split): SplitSizes {
  return { train: split.train.length, val: split.val.length, test: split.test.length };
}

function requireUsable(split: Split, what: string): void {
  const small = SPLIT_PARTS.filter((p) => split[p].length < MIN_PART);
  if (small.length > 0) {
    const s = sizesOf(split);
    throw new Error(`${what}: every part needs at least ${MIN_PART} images but ${small.join(' and ')} ${small.length === 1 ? 'has' : 'have'} fewer (train ${s.train}, val ${s.val}, test ${s.test})`);
  }
}

function byPath(items: readonly { path: string }[]): (a: number, b: number) => number {
  return (a, b) => (items[a]!.path < items[b]!.path ? -1 : items[a]!.path > items[b]!.path ? 1 : a - b);
}

function sortedSplit(split: Split): Split {
  const asc = (a: number, b: number): number => a - b;
  return { train: split.train.sort(asc), val: split.val.sort(asc), test: split.test.sort(asc) };
}

/** One split by image, shuffled with `rng`. */
function splitByImage(items: readonly { path: string }[], rng: Rng): Split {
  const order = Array.from({ length: items.length }, (_, i) => i).sort(byPath(items));
  rng.shuffle(order);
  const s = splitSizes(items.length);
  return sortedSplit({ test: order.slice(0, s.test), val: order.slice(s.test, s.test + s.val), train: order.slice(s.test + s.val) });
}

/** One split by group (slide): see the file comment for the rule. */
function splitByGroup(groups: ReadonlyMap<string, number[]>, n: number, rng: Rng): Split {
  const keys = [...groups.keys()].sort();
  rng.shuffle(keys);
  const want = splitSizes(n);
  const split: Split = { train: [], val: [], test: [] };
  // Adding a group is worth it when it brings the part closer to its target (or the part is empty).
  const closer = (have: number, add: number, target: number): boolean => have === 0 || Math.abs(have + add - target) < Math.abs(have - target);
  for (const k of keys) {
    const members = groups.get(k)!;
    const part: SplitPart = closer(split.test.length, members.length, want.test) ? 'test'
      : closer(split.val.length, members.length, want.val) ? 'val'
        : 'train';
    split[part].push(...members);
  }
  return sortedSplit(split);
}

export interface MakeSplitsOptions {
  splits: number;
  seed: number;
  groupBy?: GroupBy;
}

/** k seeded random 60/20/20 splits (see the file comment). */
export function makeSplits(items: readonly { path: string; group?: string | undefined }[], options: MakeSplitsOptions): Split[] {
  integer('splits', options.splits, 1, 100);
  integer('seed', options.seed, 0, 0xffffffff);
  const groupBy = options.groupBy ?? 'image';
  oneOf('group-by', groupBy, GROUP_BY);
  let groups: Map<string, number[]> | null = null;
  if (groupBy === 'slide') {
    groups = new Map();
    items.forEach((it, i) => {
      if (it.group === undefined || it.group === '') throw new Error(`Cannot split by slide: item ${i} (${it.path}) has no slide`);
      const list = groups!.get(it.group);
      if (list) list.push(i);
      else groups!.set(it.group, [i]);
    });
    if (groups.size < 3) throw new Error(`Cannot split by slide: a train/val/test split needs at least 3 slides but the dataset has ${groups.size}`);
  }
  const master = new Rng(options.seed);
  const out: Split[] = [];
  for (let j = 0; j < options.splits; j++) {
    const rng = new Rng(master.nextUint32());
    const split = groups ? splitByGroup(groups, items.length, rng) : splitByImage(items, rng);
    requireUsable(split, `Split ${j + 1} of ${items.length} images by ${groupBy}`);
    out.push(split);
  }
  return out;
}

/** Path forms that name the same image: / separators, .tif/.tiff/.png extension dropped. */
function pathKey(p: string): string {
  return p.replace(/\\/g, '/').replace(/\.(tiff?|png)$/i, '');
}

const PART_NAMES: Record<string, SplitPart> = { train: 'train', training: 'train', val: 'val', valid: 'val', validation: 'val', test: 'test', testing: 'test' };

/**
 * Parse a `path,split` file against the dataset's items (see the file comment for matching).
 * Unknown paths, duplicates and unknown split names are errors naming the file and line.
 */
export function parseSplitList(text: string, file: string, dataset: Pick<Dataset, 'items' | 'imagesDir'>): Split {
  const lookup = new Map<string, number>();
  const ambiguous = new Set<string>();
  const add = (key: string, i: number): void => {
    const had = lookup.get(key);
    if (had !== undefined && had !== i) ambiguous.add(key);
    else lookup.set(key, i);
  };
  dataset.items.forEach((it, i) => {
    add(pathKey(it.name), i);
    add(pathKey(resolve(it.path)), i);
    add(pathKey(relative(dataset.imagesDir, it.path)), i);
  });
  const split: Split = { train: [], val: [], test: [] };
  const seen = new Map<number, number>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let rows = 0;
  lines.forEach((raw, idx) => {
    const line = idx + 1;
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) return;
    const fields = splitCsvLine(raw).map((f) => f.trim());
    if (fields.length < 2) throw new Error(`${file}:${line}: expected path,split but found "${raw.trim()}"`);
    const partName = fields[fields.length - 1]!.toLowerCase();
    const path = fields.slice(0, -1).join(',');
    const part = PART_NAMES[partName];
    if (part === undefined) {
      if (rows === 0 && !seen.size && /^(path|file|name|image)$/i.test(fields[0]!)) return; // header
      throw new Error(`${file}:${line}: split "${fields[fields.length - 1]}" is not one of train, val, test`);
    }
    rows++;
    const key = pathKey(isAbsolute(path) ? resolve(path) : path);
    if (ambiguous.has(key)) throw new Error(`${file}:${line}: "${path}" matches more than one listed image`);
    const i = lookup.get(key);
    if (i === undefined) throw new Error(`${file}:${line}: "${path}" is not in the dataset list`);
    const before = seen.get(i);
    if (before !== undefined) throw new Error(`${file}:${line}: "${path}" was already assigned on line ${before}`);
    seen.set(i, line);
    split[part].push(i);
  });
  if (rows === 0) throw new Error(`${file}: no rows (expected path,split with split = train, val or test)`);
  const s = sortedSplit(split);
  requireUsable(s, file);
  return s;
}

/** A split as a `path,split` file (the listed names), re-readable with parseSplitList. */
export function splitListCsv(items: readonly DatasetItem[], split: Split): string {
  const part = new Map<number, SplitPart>();
  for (const p of SPLIT_PARTS) for (const i of split[p]) part.set(i, p);
  const lines = ['path,split'];
  items.forEach((it, i) => {
    const p = part.get(i);
    if (p) lines.push(`${/[",]/.test(it.name) ? `"${it.name.replace(/"/g, '""')}"` : it.name},${p}`);
  });
  return lines.join('\n') + '\n';
}
