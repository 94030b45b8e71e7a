/** A least-recently-used cache bounded by the total size of its values (bytes), not their count. */
export class ByteLru<V> {
  private readonly map = new Map<string, { value: V; bytes: number }>();
  private total = 0;

  constructor(readonly maxBytes: number, private readonly sizeOf: (v: V) => number) {
    if (!(maxBytes >= 0)) throw new Error(`Expected a non-negative byte limit but received ${maxBytes}`);
  }

  get(key: string): V | undefined {
    const hit = this.map.get(key);
    if (!hit) return undefined;
    this.map.delete(key);
    this.map.set(key, hit); // most recent last
    return hit.value;
  }

  set(key: string, value: V): void {
    const bytes = this.sizeOf(value);
    const old = this.map.get(key);
    if (old) {
      this.total -= old.bytes;
      this.map.delete(key);
    }
    if (bytes > this.maxBytes) return; // larger than the whole cache: not kept
    this.map.set(key, { value, bytes });
    this.total += bytes;
    for (const [k, v] of this.map) {
      if (this.total <= this.maxBytes) break;
      this.map.delete(k);
      this.total -= v.bytes;
    }
  }

  /** Drop every key starting with `prefix` (a slide's tiles after it was rescored). */
  deletePrefix(prefix: string): void {
    for (const [k, v] of this.map) {
      if (k.startsWith(prefix)) {
        this.map.delete(k);
        this.total -= v.bytes;
      }
    }
  }

  get bytes(): number {
    return this.total;
  }

  get size(): number {
    return this.map.size;
  }
}
