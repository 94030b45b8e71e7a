/**
 * A real output folder for the server tests, made by running `focuslite slide` on small slides
 * from ../shared (an Aperio SVS, the JPEG 2000 TCGA SVS through OpenSlide when it is installed,
 * a nearly empty strip TIFF, a DICOM WSI file) and on a corrupt file, plus the files the security tests need:
 * a second slide root, a copy of a slide outside every root, and links pointing at it.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { makeTissueLikeImage } from '../../src/synth/tissue-image.js';
import { projectRoot, sharedPath } from '../helpers.js';

export interface ServeFixture {
  dir: string;
  out: string;
  /** the slide roots to serve: ../shared/data/slides and a folder of our own */
  roots: string[];
  ownSlides: string;
  /** a generated tissue slide under ownSlides, not yet scored (for jobs) */
  fresh: string;
  /** a slide outside every root */
  outside: string;
  cleanup(): void;
}

export function runCli(args: string[], cwd = projectRoot): { code: number | null; stdout: string; stderr: string } {
  const res = spawnSync(process.execPath, [join(projectRoot, 'bin', 'focuslite.js'), ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

export const SHARED_SLIDES = ['cmu-1-small-region.svs', 'tcga-cr-7395-01a-01-ts1.svs', 'kidney-48-5.tif', 'small_dicom.dcm'];

export async function makeServeFixture(): Promise<ServeFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'focuslite-serve-'));
  const out = join(dir, 'qc');
  const ownSlides = join(dir, 'slides');
  const secret = join(dir, 'secret');
  mkdirSync(ownSlides);
  mkdirSync(secret);
  const broken = join(ownSlides, 'broken.svs');
  writeFileSync(broken, Buffer.concat([Buffer.from('II*\0'), Buffer.alloc(40, 0x5a)]));
  const fresh = join(ownSlides, 'fresh.tif');
  const t = makeTissueLikeImage(640, 520, 7);
  await sharp(Buffer.from(t.data), { raw: { width: t.width, height: t.height, channels: 3 } }).tiff({ tile: true, tileWidth: 256, tileHeight: 256, compression: 'jpeg', quality: 90 }).toFile(fresh);
  const outside = join(secret, 'cmu-copy.svs');
  copyFileSync(sharedPath('data', 'slides', 'cmu-1-small-region.svs'), outside);
  // the slide command records slide paths as given: absolute here, so the server finds them from anywhere
  const res = runCli(['slide', ...SHARED_SLIDES.map((s) => sharedPath('data', 'slides', s)), broken, '-o', out, '-t', '1', '--thumbnail', '512']);
  if (res.code !== 1) throw new Error(`slide fixture: expected exit 1 (one corrupt slide), got ${res.code}: ${res.stderr}`);
  // a link inside our slide root that leads out of every root, and a focus.json naming it
  symlinkSync(outside, join(ownSlides, 'escape.svs'));
  const cmuDoc = JSON.parse(await import('node:fs').then((fs) => fs.readFileSync(join(out, 'cmu-1-small-region.focus.json'), 'utf8')));
  writeFileSync(join(out, 'escape.focus.json'), JSON.stringify({ ...cmuDoc, name: 'escape', slide: join(ownSlides, 'escape.svs') }));
  writeFileSync(join(out, 'elsewhere.focus.json'), JSON.stringify({ ...cmuDoc, name: 'elsewhere', slide: outside }));
  // an output file that is a link out of the output folder
  symlinkSync(join(secret, 'nothing.png'), join(out, 'escape.heatmap.png'));
  writeFileSync(join(secret, 'nothing.png'), 'not for you');
  return { dir, out, roots: [sharedPath('data', 'slides'), ownSlides], ownSlides, fresh, outside, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
