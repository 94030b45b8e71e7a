/**
 * Runs the CLI in a child process under a memory cap, for tests that feed hostile files: the
 * data-segment limit (`ulimit -d`, which covers malloc'd ArrayBuffers and V8's heap) makes a
 * regression fail fast with an allocation error instead of taking the machine's memory, and the
 * child reports its peak RSS (process.resourceUsage().maxRSS) on file descriptor 3 as it exits.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from './helpers.js';

export interface CappedRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** peak resident set size of the CLI process in MB; null when it died before exiting normally */
  readonly maxRssMb: number | null;
}

export interface CappedOptions {
  /** data-segment limit in MB (default 1536: above the 1 GB the tests assert, so RSS is what fails) */
  readonly limitMb?: number;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

const BIN = join(projectRoot, 'bin', 'focuslite.js');

// Evaluated as the child's main script: reports maxRSS on fd 3 at exit, then runs bin/focuslite.js
// with process.argv exactly as when it is run directly ([node, bin, ...args]).
const PRELOAD = [
  "const fs = require('node:fs');",
  "process.on('exit', () => { try { fs.writeSync(3, String(process.resourceUsage().maxRSS)); } catch {} });",
  "import(require('node:url').pathToFileURL(process.argv[1]).href);",
].join('\n');

/** The shell command line: `sh -c 'ulimit -d KB && exec "$@"' sh node -e PRELOAD bin args...`. */
function commandLine(args: readonly string[], limitMb: number): { file: string; argv: string[] } {
  return { file: '/bin/sh', argv: ['-c', `ulimit -d ${limitMb * 1024} && exec "$@"`, 'sh', process.execPath, '-e', PRELOAD, BIN, ...args] };
}

function rssOf(fd3: string | Buffer | null | undefined): number | null {
  const text = fd3 ? String(fd3).trim() : '';
  return text ? Number(text) / 1024 : null;
}

/** Runs `focuslite <args>` to completion under the memory cap. */
export function runCliCapped(args: readonly string[], options: CappedOptions = {}): CappedRun {
  const { file, argv } = commandLine(args, options.limitMb ?? 1536);
  const res = spawnSync(file, argv, {
    cwd: options.cwd ?? projectRoot,
    env: options.env ?? process.env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: res.status, signal: res.signal, stdout: res.stdout ?? '', stderr: res.stderr ?? '', maxRssMb: rssOf(res.output[3]) };
}

/**
 * Runs `focuslite <args>` with stdout connected to a real pipe that this process closes after
 * reading `keepBytes` bytes (as `| head -c N` does), under the memory cap.
 */
export function runCliClosingStdout(args: readonly string[], keepBytes: number, options: CappedOptions = {}): Promise<CappedRun & { readonly kept: string }> {
  const { file, argv } = commandLine(args, options.limitMb ?? 1536);
  const child = spawn(file, argv, { cwd: options.cwd ?? projectRoot, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let kept = '';
    let stderr = '';
    let fd3 = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      if (kept.length >= keepBytes) return;
      kept += chunk.toString('utf8').slice(0, keepBytes - kept.length);
      // Close our end: the child's next write gets EPIPE, as it does under `| head`.
      if (kept.length >= keepBytes) child.stdout!.destroy();
    });
    child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => { fd3 += chunk.toString('utf8'); });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout: kept, kept, stderr, maxRssMb: rssOf(fd3) }));
  });
}
