/**
 * Kernel backends registered by name and chosen by priority (highest first). If every backend
 * fails to initialise, one error lists why each failed (as onnxruntime's backend resolution does).
 */
import type { ConvKernel } from './types.js';

export interface KernelBackend {
  readonly name: string;
  /** Higher is preferred. */
  readonly priority: number;
  /** Create the kernel; throw with a reason when this platform cannot run it. */
  create(): ConvKernel;
}

const backends = new Map<string, KernelBackend>();
const created = new Map<string, ConvKernel>();

export function registerKernel(backend: KernelBackend): void {
  backends.set(backend.name, backend);
  created.delete(backend.name);
}

/** Remove a backend (tests register throw-away ones). Returns whether it was there. */
export function unregisterKernel(name: string): boolean {
  created.delete(name);
  return backends.delete(name);
}

export function registeredKernels(): string[] {
  return [...backends.values()].sort((a, b) => b.priority - a.priority).map((b) => b.name);
}

/**
 * The kernel to use: `name` if given (or the FOCUSLITE_KERNEL choice passed in by the caller),
 * otherwise the highest-priority backend that initialises.
 */
export function resolveKernel(name?: string): ConvKernel {
  const candidates = name
    ? [backends.get(name) ?? missing(name)]
    : [...backends.values()].sort((a, b) => b.priority - a.priority);
  const reasons: string[] = [];
  for (const b of candidates) {
    const cached = created.get(b.name);
    if (cached) return cached;
    try {
      const k = b.create();
      created.set(b.name, k);
      return k;
    } catch (err) {
      reasons.push(`${b.name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  throw new Error(`No conv kernel could be initialised (${reasons.join('; ') || 'none registered'})`);
}

function missing(name: string): never {
  throw new Error(`Unknown kernel "${name}"; registered kernels: ${registeredKernels().join(', ') || 'none'}`);
}
