/** Dataset lists (FocusPath, TCGA@Focus, score CSV): formats, parsers and loaders. */
export * from './csv.js';
export * from './lists.js';
export * from './load.js';
