/**
 * Issue 9's acceptance on real tissue: the TCGA@Focus pair (scanned at 40x, 0.25 µm/px) as a 40x
 * slide and, halved, as a 20x slide (0.5 µm/px), each a pyramidal TIFF whose resolution tags give
 * its MPP. With the default model the in-focus tissue passes QC at both magnifications and the
 * out-of-focus tissue fails at both.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { projectRoot, sharedOnly, sharedPath } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'focuslite-magnification-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** px per mm of a scan at `mpp` µm/px, as TIFF resolution tags hold it. */
const pxPerMm = (mpp: number): number => 1000 / mpp;

async function scans(name: string, file: string): Promise<[string, string]> {
  const at40 = join(dir, `${name}-40x.tif`), at20 = join(dir, `${name}-20x.tif`);
  await sharp(file).tiff({ xres: pxPerMm(0.25), yres: pxPerMm(0.25), tile: true, pyramid: true, compression: 'lzw' }).toFile(at40);
  const { width } = await sharp(file).metadata();
  await sharp(file).resize(Math.round(width! / 2)).tiff({ xres: pxPerMm(0.5), yres: pxPerMm(0.5), tile: true, pyramid: true, compression: 'lzw' }).toFile(at20);
  return [at40, at20];
}

test('a sharp slide passes at 40x and at 20x, a blurred one fails at both (default model, TCGA@Focus pair)', sharedOnly(), async () => {
  const [in40, in20] = await scans('in-focus', sharedPath('data', 'tcga-focus', 'in-focus_patch_i_32381_j_37784.png'));
  const [out40, out20] = await scans('out-of-focus', sharedPath('data', 'tcga-focus', 'out-of-focus_patch_i_9651_j_81514.png'));
  const out = join(dir, 'qc');
  // --min-tissue 0: the patches are tissue edge to edge, every crop counts
  const r = spawnSync(process.execPath, [join(projectRoot, 'bin', 'focuslite.js'), 'slide', in40, in20, out40, out20, '-o', out, '-t', '1', '--min-tissue', '0'], { encoding: 'utf8' });
  assert.equal(r.status, 3, r.stderr); // two slides fail QC, none failed as input
  const report = (name: string) => JSON.parse(readFileSync(join(out, `${name}.focus.json`), 'utf8'));
  for (const [name, mpp] of [['in-focus-40x', 0.25], ['in-focus-20x', 0.5], ['out-of-focus-40x', 0.25], ['out-of-focus-20x', 0.5]] as const) {
    const rep = report(name);
    assert.ok(Math.abs(rep.mpp.x - mpp) < 1e-6, `${name}: MPP ${rep.mpp.x} read from the resolution tags`);
    const pass = name.startsWith('in-focus');
    assert.equal(rep.qc.pass, pass, `${name}: mean ${rep.score.mean}, blur share ${rep.blur.share}`);
    // the default model's threshold is the one it carries (derived from held-out data)
    assert.ok(rep.blur.threshold > 0 && rep.blur.threshold < 5, `${name}: threshold ${rep.blur.threshold}`);
    assert.ok(pass ? rep.score.mean < rep.blur.threshold : rep.score.mean > rep.blur.threshold, `${name}: ${JSON.stringify(rep.score)} against ${rep.blur.threshold}`);
    // both scans are scored at the model's 0.5 µm/px: the 40x one two-to-one, the 20x one as stored
    assert.equal(rep.scoring.mpp, 0.5, `${name}: scored at ${rep.scoring.mpp} µm/px`);
    assert.ok(Math.abs(rep.scoring.resolutionFactor - 0.5 / mpp) < 1e-6, `${name}: resolution factor ${rep.scoring.resolutionFactor}`);
  }
});
