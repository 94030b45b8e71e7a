/**
 * Separable filtering for the measures (pure TS): a "chain" is a sequence of 1-D imfilter steps
 * (./imfilter.ts) applied to one plane, e.g. FQPath's low-pass then MaxPol kernel along x. The
 * measures ask for all their chains at once so a backend can copy the plane in once.
 *
 * Backends: `wasm-simd` (./filter-wasm.ts) where WebAssembly SIMD works, else `reference` (the
 * TypeScript loops). Both give the same bits (test/core/measures/filter-wasm.test.ts); the choice
 * only changes speed. `setFilterBackend` pins one (tests, benchmarks).
 */
import type { Plane } from './gray.js';
import { filterColumns, filterRows } from './imfilter.js';
import { createWasmFilterBackend } from './filter-wasm.js';
import { scratchF64 } from './scratch.js';
import type { FilterChain, FilterChainsBackend } from './filter-types.js';

export type { FilterChain, FilterChainsBackend, FilterStep } from './filter-types.js';


export const referenceFilterBackend: FilterChainsBackend = {
  name: 'reference',
  run(g, chains) {
    const n = g.data.length;
    return chains.map((chain, i) => {
      const out = scratchF64(`filter.out${i}`, n);
      if (chain.length === 0) {
        out.set(g.data);
        return out;
      }
      let p: Plane = g;
      chain.forEach((step, s) => {
        // the last step writes the output; earlier ones alternate between it and a scratch plane
        const dst = (chain.length - 1 - s) % 2 === 0 ? out : scratchF64('filter.tmp', n);
        p = step.axis === 'x' ? filterRows(p, step.taps, dst) : filterColumns(p, step.taps, dst);
      });
      return out;
    });
  },
};

let chosen: FilterChainsBackend | null = null;

function defaultBackend(): FilterChainsBackend {
  try {
    return createWasmFilterBackend();
  } catch {
    // No WebAssembly SIMD here (old engine, or disabled): the TypeScript loops give the same numbers.
    return referenceFilterBackend;
  }
}

/** The backend in use (chosen on first use). */
export function filterBackend(): FilterChainsBackend {
  return (chosen ??= defaultBackend());
}

/** Pin a backend by name (`wasm-simd` or `reference`); throws if it cannot run here. */
export function setFilterBackend(name: 'wasm-simd' | 'reference'): FilterChainsBackend {
  chosen = name === 'reference' ? referenceFilterBackend : createWasmFilterBackend();
  return chosen;
}

/**
 * Apply each chain to g: one result plane per chain, in buffers owned by the backend that stay
 * valid until the next call (callers may work on them in place).
 */
export function runFilterChains(g: Plane, chains: readonly FilterChain[]): Float64Array[] {
  const n = g.width * g.height;
  if (g.data.length !== n) throw new Error(`Expected ${n} values for a ${g.width}x${g.height} plane but received ${g.data.length}`);
  return filterBackend().run(g, chains);
}
