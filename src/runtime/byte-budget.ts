/**
 * A budget of bytes shared by concurrent work (decoded pixels in flight): `acquire(n)` waits until
 * n more bytes fit. A request larger than the whole budget is let through when nothing else holds
 * any, so one big item never deadlocks and memory stays at max(budget, largest item).
 */
import { positiveNumber } from '../core/check.js';

export class ByteBudget {
  private used = 0;
  private readonly waiting: Array<{ bytes: number; grant: () => void }> = [];

  constructor(readonly total: number) {
    positiveNumber('byte budget', total);
  }

  get inUse(): number {
    return this.used;
  }

  private fits(bytes: number): boolean {
    return this.used === 0 || this.used + bytes <= this.total;
  }

  /** Resolves when `bytes` are granted; first come, first served (no starvation of big items). */
  acquire(bytes: number): Promise<void> {
    if (this.waiting.length === 0 && this.fits(bytes)) {
      this.used += bytes;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push({ bytes, grant: resolve }));
  }

  release(bytes: number): void {
    this.used -= bytes;
    while (this.waiting.length > 0 && this.fits(this.waiting[0]!.bytes)) {
      const next = this.waiting.shift()!;
      this.used += next.bytes;
      next.grant();
    }
  }
}
