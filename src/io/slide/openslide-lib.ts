/**
 * The OpenSlide C library through koffi, loaded on first use. Nothing here throws when the
 * library is missing: callers ask isOpenSlideAvailable() and get the reason from
 * openSlideUnavailableReason(). Slow calls (open, read_region, read_associated_image) run on
 * koffi's worker threads so decoding never blocks the event loop; OpenSlide handles are
 * thread-safe for concurrent reads.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';

type Koffi = typeof import('koffi');
type Fn = ((...args: unknown[]) => unknown) & { async: (...args: unknown[]) => void };

/** An openslide_t*, opaque to JS. */
export type OpenSlideHandle = object;

export interface OpenSlideLib {
  readonly version: string;
  /** Vendor name ('aperio', 'hamamatsu', ...) or null when OpenSlide cannot read the file. */
  detectVendor(path: string): string | null;
  open(path: string): Promise<OpenSlideHandle | null>;
  error(osr: OpenSlideHandle): string | null;
  levelCount(osr: OpenSlideHandle): number;
  levelDimensions(osr: OpenSlideHandle, level: number): { width: number; height: number };
  levelDownsample(osr: OpenSlideHandle, level: number): number;
  propertyNames(osr: OpenSlideHandle): string[];
  propertyValue(osr: OpenSlideHandle, name: string): string | null;
  associatedNames(osr: OpenSlideHandle): string[];
  associatedDimensions(osr: OpenSlideHandle, name: string): { width: number; height: number };
  /** Premultiplied ARGB, one uint32 per pixel; x, y in level-0 pixels. */
  readRegion(osr: OpenSlideHandle, dest: Uint32Array, x: number, y: number, level: number, w: number, h: number): Promise<void>;
  readAssociated(osr: OpenSlideHandle, name: string, dest: Uint32Array): Promise<void>;
  close(osr: OpenSlideHandle): void;
}

/** Library names to try: FOCUSLITE_OPENSLIDE_LIBRARY first (a path or name), then the usual sonames. */
function candidates(): string[] {
  const forced = process.env['FOCUSLITE_OPENSLIDE_LIBRARY'];
  if (forced) return [forced];
  switch (process.platform) {
    case 'darwin': return ['libopenslide.1.dylib', 'libopenslide.0.dylib', '/opt/homebrew/lib/libopenslide.1.dylib', '/usr/local/lib/libopenslide.1.dylib'];
    case 'win32': return ['libopenslide-1.dll', 'libopenslide-0.dll'];
    default: return ['libopenslide.so.1', 'libopenslide.so.0']; // OpenSlide 4, then 3.x (Debian's)
  }
}

// Few enough concurrent worker calls to stay far below koffi's async queue limit (256).
const MAX_IN_FLIGHT = Math.max(2, Math.min(16, availableParallelism()));

function limiter(max: number): <T>(job: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (job) => {
    if (active >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await job();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

function bind(koffi: Koffi, path: string): OpenSlideLib {
  const lib = koffi.load(path);
  const f = (decl: string) => lib.func(decl) as unknown as Fn;
  const getVersion = f('const char *openslide_get_version()');
  const detect = f('const char *openslide_detect_vendor(const char *filename)');
  const open = f('void *openslide_open(const char *filename)');
  const getError = f('const char *openslide_get_error(void *osr)');
  const levelCount = f('int32_t openslide_get_level_count(void *osr)');
  const levelDims = f('void openslide_get_level_dimensions(void *osr, int32_t level, _Out_ int64_t *w, _Out_ int64_t *h)');
  const levelDs = f('double openslide_get_level_downsample(void *osr, int32_t level)');
  const propNames = f('void *openslide_get_property_names(void *osr)');
  const propValue = f('const char *openslide_get_property_value(void *osr, const char *name)');
  const assocNames = f('void *openslide_get_associated_image_names(void *osr)');
  const assocDims = f('void openslide_get_associated_image_dimensions(void *osr, const char *name, _Out_ int64_t *w, _Out_ int64_t *h)');
  const readAssoc = f('void openslide_read_associated_image(void *osr, const char *name, uint32_t *dest)');
  const readRegion = f('void openslide_read_region(void *osr, uint32_t *dest, int64_t x, int64_t y, int32_t level, int64_t w, int64_t h)');
  const close = f('void openslide_close(void *osr)');

  // OpenSlide returns NULL-terminated arrays of C strings that it owns.
  const strings = (arr: unknown): string[] => {
    const out: string[] = [];
    if (!arr) return out;
    for (let i = 0; ; i++) {
      const s = koffi.decode(arr, i * koffi.sizeof('void *'), 'const char *') as string | null;
      if (s === null) return out;
      out.push(s);
    }
  };
  const limit = limiter(MAX_IN_FLIGHT);
  const callAsync = <T>(fn: Fn, ...args: unknown[]): Promise<T> =>
    limit(() => new Promise<T>((resolve, reject) => fn.async(...args, (err: unknown, res: T) => (err ? reject(err) : resolve(res)))));
  const dims = (fn: Fn, ...args: unknown[]) => {
    const w = [0];
    const h = [0];
    fn(...args, w, h);
    return { width: Number(w[0]), height: Number(h[0]) };
  };

  return {
    version: (getVersion() as string | null) ?? 'unknown',
    detectVendor: (p) => detect(p) as string | null,
    open: (p) => callAsync<OpenSlideHandle | null>(open, p),
    error: (osr) => getError(osr) as string | null,
    levelCount: (osr) => levelCount(osr) as number,
    levelDimensions: (osr, level) => dims(levelDims, osr, level),
    levelDownsample: (osr, level) => levelDs(osr, level) as number,
    propertyNames: (osr) => strings(propNames(osr)),
    propertyValue: (osr, name) => propValue(osr, name) as string | null,
    associatedNames: (osr) => strings(assocNames(osr)),
    associatedDimensions: (osr, name) => dims(assocDims, osr, name),
    readRegion: (osr, dest, x, y, level, w, h) => callAsync<void>(readRegion, osr, dest, x, y, level, w, h),
    readAssociated: (osr, name, dest) => callAsync<void>(readAssoc, osr, name, dest),
    close: (osr) => void close(osr),
  };
}

let loaded: { lib: OpenSlideLib | null; reason: string | null } | null = null;

function load(): { lib: OpenSlideLib | null; reason: string | null } {
  if (loaded) return loaded;
  let koffi: Koffi;
  try {
    koffi = createRequire(import.meta.url)('koffi') as Koffi;
  } catch (err) {
    return (loaded = { lib: null, reason: `koffi (FFI) failed to load: ${firstLine(err)}` });
  }
  const tried: string[] = [];
  for (const name of candidates()) {
    try {
      return (loaded = { lib: bind(koffi, name), reason: null });
    } catch (err) {
      tried.push(`${name}: ${firstLine(err)}`);
    }
  }
  return (loaded = { lib: null, reason: `libopenslide not found (${tried.join('; ')})` });
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}

export function isOpenSlideAvailable(): boolean {
  return load().lib !== null;
}

/** Why OpenSlide cannot be used, or null when it can. */
export function openSlideUnavailableReason(): string | null {
  return load().reason;
}

/** The loaded library; throws with the reason when it is missing. */
export function openSlideLib(): OpenSlideLib {
  const { lib, reason } = load();
  if (!lib) throw new Error(`OpenSlide is not available: ${reason} (apt-get install libopenslide0)`);
  return lib;
}

/** Major.minor of the loaded OpenSlide, e.g. [3, 4]; null when unavailable. */
export function openSlideVersion(): [number, number] | null {
  const lib = load().lib;
  if (!lib) return null;
  const m = /^(\d+)\.(\d+)/.exec(lib.version);
  return m ? [Number(m[1]), Number(m[2])] : null;
}
