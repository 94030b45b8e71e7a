/**
 * Train/validation split for training runs. Pure TS.
 *
 * When items carry a group (FocusPath: the slide; TCGA@Focus: the slide) whole groups go to one
 * side, so the validation set never holds another z-level of a training patch and validation
 * scores are not inflated by memorised texture. Without groups (or with a single group) items are
 * split one by one. Seeded: the same items and seed give the same split.
 */
import { Rng } from '../core/random.js';
import { halfOpen } from '../core/check.js';

export interface Splittable {
  group?: string | undefined;
}

export function splitValidation<T extends object>(items: readonly T[], fraction: number, seed: number): { train: T[]; val: T[] } {
  halfOpen('validation fraction', fraction, 0, 1);
  if (fraction === 0 || items.length < 2) return { train: [...items], val: [] };
  // Its own stream, so changing the split never shifts the training draws.
  const rng = new Rng((seed ^ 0x5eed5a1e) >>> 0);
  const groups = new Map<string, number[]>();
  items.forEach((item, i) => {
    const key = (item as Splittable).group ?? `\u0000item${i}`;
    const list = groups.get(key);
    if (list) list.push(i);
    else groups.set(key, [i]);
  });
  let keys = [...groups.keys()];
  if (keys.length < 2) {
    keys = items.map((_, i) => `\u0000item${i}`);
    groups.clear();
    keys.forEach((k, i) => groups.set(k, [i]));
  }
  keys.sort();
  rng.shuffle(keys);
  const wantVal = Math.max(1, Math.round(fraction * items.length));
  const isVal = new Uint8Array(items.length);
  let taken = 0;
  for (const k of keys) {
    if (taken >= wantVal) break;
    const members = groups.get(k)!;
    // keep at least one group for training
    if (taken + members.length >= items.length) break;
    for (const i of members) isVal[i] = 1;
    taken += members.length;
  }
  const train: T[] = [];
  const val: T[] = [];
  items.forEach((item, i) => (isVal[i] ? val : train).push(item));
  return { train, val };
}
