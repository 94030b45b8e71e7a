/**
 * Model files on disk: the project's JSON weights, or an original PyTorch checkpoint (.pt/.pth)
 * imported on the fly. Saving is atomic (write a temporary file, then rename over the target).
 */
import { open, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import type { FocusLiteModel } from '../core/model.js';
import { parseWeights, serializeModel } from '../core/weights.js';
import { importFocusLiteCheckpoint, looksLikeTorchCheckpoint, type ImportOptions } from './torch/checkpoint.js';
import { writeFileAtomic } from './atomic.js';

export type LoadModelOptions = ImportOptions;

const CHECKPOINT_EXTENSIONS = new Set(['.pt', '.pth', '.ckpt', '.tar']);

function errorCode(err: unknown): string | undefined {
  return err && typeof err === 'object' && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

/**
 * Largest weights file read. FocusLiteNN files are a few KB (10 kernels: 24 KB of JSON; the
 * 1,024-kernel maximum: about 2 MB). The bound keeps a wrong or hostile file (a disk image,
 * /dev/zero) from being read whole, and bounds what JSON.parse of a hostile file can allocate
 * (up to about 50 bytes per input byte for nested arrays: about 430 MB at this size).
 */
export const MAX_WEIGHTS_FILE_BYTES = 8 * 1024 * 1024;

/** Read at most `limit` bytes of a file; more (by size, or by reading a device or pipe) is an error. */
async function readBounded(path: string, limit: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const info = await handle.stat();
    if (info.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    const tooLarge = (): Error => new Error(`${path}: the file is larger than ${limit / 1024 / 1024} MB, far larger than any FocusLiteNN model (a few KB; 1,024 kernels: about 2 MB); not read`);
    if (info.isFile() && info.size > limit) throw tooLarge();
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1 << 20, limit + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > limit) throw tooLarge();
    }
    return Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}

/** Read a whole file (bounded), turning the usual failures into `<path>: <problem>`. */
async function readFileBytes(path: string): Promise<Buffer> {
  try {
    return await readBounded(path, MAX_WEIGHTS_FILE_BYTES);
  } catch (err) {
    if (err instanceof Error && err.message.startsWith(`${path}: `)) throw err;
    const code = errorCode(err);
    if (code === 'ENOENT') throw new Error(`${path}: file not found`);
    if (code === 'EISDIR') throw new Error(`${path}: is a directory, not a weights file`);
    if (code === 'EACCES') throw new Error(`${path}: permission denied`);
    throw new Error(`${path}: cannot read (${err instanceof Error ? err.message : String(err)})`);
  }
}

/**
 * Load a model: `.json` -> focuslite weights; `.pt`/`.pth` (or any file that starts like a
 * torch.save archive or pickle) -> imported checkpoint. `options.scale` applies to checkpoints only
 * (JSON weights record their own scale).
 */
export async function loadModel(path: string, options: LoadModelOptions = {}): Promise<FocusLiteModel> {
  if (typeof path !== 'string' || path.length === 0) throw new Error(`Expected a file path for weights but received ${JSON.stringify(path)}`);
  const bytes = await readFileBytes(path);
  const ext = extname(path).toLowerCase();
  const data = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (ext !== '.json' && (CHECKPOINT_EXTENSIONS.has(ext) || looksLikeTorchCheckpoint(data))) {
    return importFocusLiteCheckpoint(data, path, options);
  }
  return parseWeights(bytes.toString('utf8'), path);
}

/** Write the model as focuslite JSON weights, atomically (temporary file beside it, then rename). */
export async function saveModel(path: string, model: FocusLiteModel): Promise<void> {
  if (typeof path !== 'string' || path.length === 0) throw new Error(`Expected a file path for weights but received ${JSON.stringify(path)}`);
  try {
    await writeFileAtomic(path, serializeModel(model));
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ENOENT') throw new Error(`${path}: cannot write (its folder does not exist)`);
    if (code === 'EACCES') throw new Error(`${path}: cannot write (permission denied)`);
    if (code === 'EISDIR' || (await stat(path).then((s) => s.isDirectory(), () => false))) throw new Error(`${path}: cannot write (is a directory)`);
    throw new Error(`${path}: cannot write (${err instanceof Error ? err.message : String(err)})`);
  }
}
