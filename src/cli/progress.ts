/** Progress bar on stderr, only when stderr is a terminal and there is more than one item. */
import { createRequire } from 'node:module';
import type cliProgressModule from 'cli-progress';

/**
 * cli-progress, loaded with the first bar: it costs tens of ms at start-up, and help, info and
 * every run without a terminal never draw one.
 */
export function cliProgress(): typeof cliProgressModule {
  return createRequire(import.meta.url)('cli-progress') as typeof cliProgressModule;
}

export interface Progress {
  tick(n?: number, payload?: Record<string, unknown>): void;
  /** print a line above the bar (or plainly when there is no bar) */
  log(line: string): void;
  stop(): void;
}

export function createProgress(total: number, label: string, extraFormat = ''): Progress {
  const enabled = !!process.stderr.isTTY && total > 1 && !process.env.CI;
  if (!enabled) {
    return { tick() {}, log: (line) => void process.stderr.write(line + '\n'), stop() {} };
  }
  const cp = cliProgress();
  const bar = new cp.SingleBar(
    {
      stream: process.stderr,
      format: `${label} [{bar}] {value}/{total} {percentage}% | ETA {eta_formatted}${extraFormat}`,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
    },
    cp.Presets.shades_classic,
  );
  bar.start(total, 0);
  return {
    tick: (n = 1, payload) => bar.increment(n, payload),
    log: (line) => {
      process.stderr.write('\r\x1b[2K' + line + '\n');
      bar.render();
    },
    stop: () => bar.stop(),
  };
}
