/** `focuslite serve <output-dir>`: review a batch in the browser (cohort table, slide viewer, scoring). */
import { Command } from 'commander';
import { resolve } from 'node:path';
import { DEFAULT_MODEL_HELP, resolveModel } from '../io/model-source.js';
import { defaultThreads } from '../runtime/threads.js';
import { intOption } from './options.js';

interface ServeOpts {
  slides?: string[];
  port: number;
  host: string;
  token?: string;
  weights?: string;
  maxUpload: number;
  cacheMb: number;
  threads: number;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('Serve a `focuslite slide` output folder in the browser: cohort table, slide viewer with the focus overlay, in-page scoring, JSON API')
    .argument('<output-dir>', 'output folder of `focuslite slide`')
    .option('--slides <dirs...>', 'folders the slides may be read from (default: the folders of the slides the output folder names)')
    .option('-p, --port <n>', 'port (0: any free port)', intOption('port', 0, 65535), 8080)
    .option('--host <addr>', 'address to bind; anything but loopback needs --token', '127.0.0.1')
    .option('--token <secret>', 'access token (or FOCUSLITE_TOKEN); required with a non-loopback --host')
    .option('-w, --weights <file>', `model for POST /api/score, the page's scoring and background jobs (default: ${DEFAULT_MODEL_HELP})`)
    .option('--max-upload <MB>', 'largest image accepted by POST /api/score', intOption('max-upload', 1, 1024), 32)
    .option('--cache-mb <MB>', 'memory for cached Deep Zoom tiles', intOption('cache-mb', 1, 16384), 64)
    .option('-t, --threads <n>', 'compute threads of background jobs', intOption('threads', 1, 256), defaultThreads())
    .action(async (outDir: string, opts: ServeOpts) => {
      const [{ startServer, packageVersion }, { resolveToken }, { defaultThreshold }] = await Promise.all([
        import('../http/server.js'), import('../http/auth.js'), import('../pipeline/slide-batch.js'),
      ]);
      const token = resolveToken(opts.host, opts.token);
      const score = await resolveModel(opts.weights);
      const threshold = defaultThreshold(score.model);
      if (threshold === null) throw new Error(`${score.path}: relative-scale model carries no threshold; background jobs need one (use a z-level model or one with a threshold)`);
      const server = await startServer({
        outDir: resolve(outDir), slideRoots: opts.slides, host: opts.host, port: opts.port, token,
        scoreModel: score.model, scoreModelLabel: score.label, maxUploadBytes: opts.maxUpload * 1024 * 1024,
        tiles: { cacheBytes: opts.cacheMb * 1024 * 1024 },
        jobs: { model: score.model, modelLabel: score.path, threshold, threads: opts.threads },
        version: packageVersion(),
      });
      const roots = server.slideRoots.map((r) => r.real).join(', ') || 'none (slides cannot be viewed: pass --slides <dir>)';
      process.stderr.write(`focuslite: serving ${resolve(outDir)} at ${server.url}/${token ? ' (access token required)' : ''}; slides from ${roots}; Ctrl-C stops\n`);
      await new Promise<void>((done) => {
        const stop = () => void server.close().finally(done);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
