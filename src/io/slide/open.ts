/**
 * openSlide(): one entry point over pluggable backends. Each backend says whether it can read a
 * probed file; 'auto' takes the first that can, in registration order (sharp first: no native
 * dependency beyond sharp itself; then the TypeScript DICOM reader; then OpenSlide for the
 * vendor formats). When nothing can, the
 * error says what would (usually: install OpenSlide).
 */
import { openDicomSlide } from './dicom-reader.js';
import { openOpenSlide } from './openslide-reader.js';
import { openSlideLib, openSlideUnavailableReason } from './openslide-lib.js';
import { formatLabel, probeSlide, type SlideProbe } from './probe.js';
import { openSharpSlide, sharpSupport, type BackendSupport } from './sharp-reader.js';
import type { SlideReader } from './types.js';

export interface SlideBackend {
  readonly name: string;
  /** Whether the backend can run at all here (e.g. its native library loads). */
  available(): { ok: true } | { ok: false; reason: string };
  /** Whether it reads this file completely (all levels), and if not, why. */
  supports(probe: SlideProbe): BackendSupport;
  open(probe: SlideProbe): Promise<SlideReader>;
}

const backends: SlideBackend[] = [];

/** Add a backend, or replace the one with the same name (keeping its place in the order). */
export function registerSlideBackend(backend: SlideBackend): void {
  const i = backends.findIndex((b) => b.name === backend.name);
  if (i >= 0) backends[i] = backend;
  else backends.push(backend);
}

export function slideBackends(): string[] {
  return backends.map((b) => b.name);
}

registerSlideBackend({
  name: 'sharp',
  available: () => ({ ok: true }),
  supports: sharpSupport,
  open: openSharpSlide,
});

registerSlideBackend({
  name: 'dicom',
  available: () => ({ ok: true }),
  supports(probe) {
    if (probe.container === 'dicom') return { ok: true };
    return { ok: false, reason: `the dicom backend reads DICOM whole-slide images only, not ${formatLabel(probe.format)} files`, needsOpenSlide: false };
  },
  open: openDicomSlide,
});

registerSlideBackend({
  name: 'openslide',
  available() {
    const reason = openSlideUnavailableReason();
    return reason === null ? { ok: true } : { ok: false, reason };
  },
  supports(probe) {
    if (probe.container === 'unknown') return { ok: false, reason: 'not a recognised slide or image format', needsOpenSlide: false };
    const lib = openSlideLib();
    if (lib.detectVendor(probe.path) !== null) return { ok: true };
    if (probe.container === 'dicom') {
      return { ok: false, reason: `OpenSlide ${lib.version} reads no DICOM (OpenSlide >= 4 does); the dicom backend reads it (--backend dicom or auto)`, needsOpenSlide: false };
    }
    const why = probe.container === 'tiff' && probe.layout?.levels[0]?.dir.tileWidth === null ? ' (it reads tiled TIFFs only)' : '';
    return { ok: false, reason: `OpenSlide ${lib.version} cannot read this ${formatLabel(probe.format)} file${why}`, needsOpenSlide: false };
  },
  open: (probe) => openOpenSlide(probe.path),
});

export interface OpenSlideOptions {
  /** 'auto' (default) or a registered backend name: 'sharp' | 'dicom' | 'openslide'. */
  readonly backend?: string;
}

/** Open a whole-slide image (or a plain PNG/JPEG/TIFF) for region reads. */
export async function openSlide(path: string, options: OpenSlideOptions = {}): Promise<SlideReader> {
  const wanted = options.backend ?? 'auto';
  if (wanted !== 'auto' && !backends.some((b) => b.name === wanted)) {
    throw new Error(`Expected one of auto, ${slideBackends().join(', ')} for backend but received ${wanted}`);
  }
  const probe = await probeSlide(path);
  if (wanted !== 'auto') {
    const b = backends.find((x) => x.name === wanted)!;
    const avail = b.available();
    if (!avail.ok) throw new Error(`${path}: the ${b.name} backend is not available: ${avail.reason}`);
    const s = b.supports(probe);
    if (!s.ok) throw new Error(`${path}: ${s.reason}`);
    return b.open(probe);
  }

  const refusals: BackendSupport[] = [];
  for (const b of backends) {
    if (!b.available().ok) continue;
    const s = b.supports(probe);
    if (s.ok) return b.open(probe);
    refusals.push(s);
  }
  throw new Error(`${path}: ${autoFailure(probe, refusals)}`);
}

/** The one reason to show when no backend reads the file. */
function autoFailure(probe: SlideProbe, refusals: BackendSupport[]): string {
  const reasons = refusals.flatMap((r) => (r.ok ? [] : [r]));
  const openslideMissing = openSlideUnavailableReason() !== null;
  if (probe.container === 'unknown') return 'not a recognised slide or image format';
  const needs = reasons.find((r) => r.needsOpenSlide)?.needsOpenSlide;
  if (needs && openslideMissing) return `${needs} need OpenSlide, which is not installed (apt-get install libopenslide0)`;
  if (needs) return `${needs} need OpenSlide, but OpenSlide ${openSlideLib().version} cannot read this file`;
  return reasons[0]?.reason ?? 'no slide backend is available';
}
