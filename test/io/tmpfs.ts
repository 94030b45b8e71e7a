/**
 * A real full disk for ENOSPC tests: a small tmpfs mounted in a temporary folder. Mounting needs
 * root (CAP_SYS_ADMIN); where it is not allowed the tests that need it are skipped with the reason.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SmallDisk {
  readonly dir: string;
  /** fill the disk until a write fails with ENOSPC; returns the filler file (delete it to free the space) */
  fill(): string;
  unmount(): void;
}

/** Mount a tmpfs of `kib` KiB, or return the reason it cannot be done here. */
export function mountSmallDisk(kib: number): SmallDisk | string {
  if (process.platform !== 'linux') return `ENOSPC test needs Linux tmpfs (platform ${process.platform})`;
  const dir = mkdtempSync(join(tmpdir(), 'focuslite-small-disk-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${kib}k`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return `cannot mount a small tmpfs for a real ENOSPC (${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}); needs root`;
  }
  return {
    dir,
    fill() {
      const filler = join(dir, 'filler.bin');
      const fd = openSync(filler, 'w');
      const chunk = Buffer.alloc(4096, 1);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (err) {
        if ((err as { code?: string }).code !== 'ENOSPC') throw err;
      } finally {
        closeSync(fd);
      }
      return filler;
    },
    unmount() {
      spawnSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
