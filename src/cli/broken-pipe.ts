/**
 * A closed stdout (`focuslite score ... | head -4`) ends the run quietly with exit code 0, as `cat`
 * and `grep` do. Node ignores SIGPIPE, so a write to a closed pipe surfaces as an EPIPE 'error'
 * event on process.stdout, which would otherwise crash the process with a stack trace.
 */
import type { Writable } from 'node:stream';

function isBrokenPipe(err: unknown): boolean {
  return !!err && typeof err === 'object' && 'code' in err && (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED');
}

/**
 * Installs the handlers once. stdout: EPIPE exits with 0 at once (nobody reads the rest; work in
 * flight is dropped, and output files are written atomically, so none is left half-written).
 * stderr: EPIPE is ignored (there is nowhere left to report to, and the run's stdout may still be read).
 * Any other stream error is reported in one line and exits with 1.
 */
export function handleBrokenPipes(stdout: Writable = process.stdout, stderr: Writable = process.stderr, exit: (code: number) => void = (c) => process.exit(c)): void {
  const marked = stdout as Writable & { focusliteBrokenPipe?: boolean };
  if (marked.focusliteBrokenPipe) return;
  marked.focusliteBrokenPipe = true;
  stdout.on('error', (err) => {
    if (isBrokenPipe(err)) return exit(0);
    try {
      stderr.write(`focuslite: cannot write to standard output (${err.message})\n`);
    } finally {
      exit(1);
    }
  });
  stderr.on('error', (err) => {
    if (!isBrokenPipe(err)) exit(1);
  });
}
