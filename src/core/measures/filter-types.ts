/**
 * The shapes of separable filtering, shared by the chain runner (./filter-chains.ts) and its
 * backends (./filter-wasm.ts), so neither imports the other for them. Pure TS.
 */
import type { Plane } from './gray.js';

export interface FilterStep {
  /** 'x': along rows (MATLAB row-vector kernel); 'y': along columns */
  readonly axis: 'x' | 'y';
  readonly taps: Float64Array;
}
export type FilterChain = readonly FilterStep[];

export interface FilterChainsBackend {
  readonly name: string;
  /**
   * One result (same size as g) per chain, in buffers the backend owns and reuses: valid until
   * its next `run` (the wasm backend returns views of its memory, so nothing is copied out).
   */
  run(g: Plane, chains: readonly FilterChain[]): Float64Array[];
}
