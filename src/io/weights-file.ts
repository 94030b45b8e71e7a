/**
 * Model files on disk: the project's JSON weights, or an original PyTorch checkpoint (.pt/.pth)
 * imported on the fly. Saving is atomic (write a temporary file, then rename over the target).
 */
import { readFile, stat } from 'node:fs/promises';
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

/** Read a whole file, turning the usual failures into `<path>: <problem>`. */
async function readFileBytes(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
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
