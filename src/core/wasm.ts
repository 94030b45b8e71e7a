/**
 * The one place src/core meets the WebAssembly JS API: typed locally (the project compiles
 * without the DOM lib, and @types/node 20 does not declare the WebAssembly namespace), compiled
 * once per binary, with a plain message where the engine lacks SIMD. The conv kernel
 * (kernels/wasm.ts) and the measures' filters and FFT (measures/filter-wasm.ts, fft-wasm.ts) use
 * it. Pure TS.
 */

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

export interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
}

export function wasmApi(): WasmApi {
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (!api || typeof api.Module !== 'function') throw new Error('WebAssembly is not available in this environment');
  return api;
}

/**
 * A getter of the compiled module of `binary()`, compiled on first use and kept. Engines without
 * SIMD reject our modules: that is said plainly (naming `what`) rather than with a CompileError.
 */
export function compiledOnce(binary: () => Uint8Array, what: string): () => object {
  let compiled: object | null = null;
  return () => {
    if (!compiled) {
      const api = wasmApi();
      const bytes = binary();
      if (!api.validate(bytes)) throw new Error(`this WebAssembly engine does not support SIMD (${what} does not validate)`);
      compiled = new api.Module(bytes);
    }
    return compiled;
  };
}

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 (with or without '=' padding) to bytes; pure TS so src/core needs no Buffer/atob. */
export function decodeBase64(text: string): Uint8Array {
  const clean = text.replace(/=+$/, '');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0, acc = 0, o = 0;
  for (let i = 0; i < clean.length; i++) {
    const v = BASE64_ALPHABET.indexOf(clean[i]!);
    if (v < 0) throw new Error(`Invalid base64 character ${JSON.stringify(clean[i])} at ${i}`);
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}
