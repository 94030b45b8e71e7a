/**
 * QuPath GeoJSON of the scored tiles: one feature per crop (overlapping) or per map cell
 * (non-overlapping), classified against the threshold, written in chunks so a large slide never
 * builds one huge string. Pure TS.
 */
import { finite } from '../core/check.js';
import { type ScoreScale, type ScoredTile } from './slide-tiles.js';

export interface GeoJsonOptions {
  threshold: number;
  modelName: string;
  scale: ScoreScale;
  /**
   * `crops` (default): one square per scored crop; neighbouring crops overlap (235 px at stride
   * 128), so summed areas count most tissue several times. `cells`: one polygon per crop's map
   * cell (non-overlapping, covering the scored tissue once), for area measurements in QuPath.
   */
  polygons?: GeoJsonPolygons;
}

export type GeoJsonPolygons = 'crops' | 'cells';

export const CLASS_OUT_OF_FOCUS = { name: 'Out of focus', color: [220, 50, 47] as [number, number, number] };
export const CLASS_IN_FOCUS = { name: 'In focus', color: [40, 160, 70] as [number, number, number] };

export interface TileFeature {
  type: 'Feature';
  id: string;
  geometry: { type: 'Polygon'; coordinates: number[][][] };
  properties: {
    objectType: 'tile';
    classification: { name: string; color: [number, number, number] };
    measurements: Record<string, number>;
    isLocked: false;
  };
}

export interface TileFeatureCollection {
  type: 'FeatureCollection';
  features: TileFeature[];
  /** foreign member (allowed by RFC 7946, ignored by QuPath): how the classes were made */
  focuslite: { model: string; scoreScale: ScoreScale; threshold: number; tiles: number; polygons: GeoJsonPolygons; note: string };
}

/** 32-bit FNV-1a of a string with a seed, for deterministic ids. */
function fnv1a(s: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * Deterministic UUID (RFC 9562 version 8, "custom") from a key: QuPath (>= 0.4) parses feature
 * ids with UUID.fromString and keeps them as object ids, so reruns give the same ids.
 */
export function deterministicUuid(key: string): string {
  const hex = [1, 2, 3, 4].map((s) => fnv1a(key, s * 0x9e3779b1).toString(16).padStart(8, '0')).join('');
  const chars = hex.split('');
  chars[12] = '8'; // version
  chars[16] = ((parseInt(chars[16]!, 16) & 0x3) | 0x8).toString(16); // variant 10xx
  const h = chars.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * A FeatureCollection QuPath imports as tile objects (File > Import objects, or drag and drop):
 * polygons in level-0 pixel coordinates (the crops, or their map cells with `polygons: 'cells'`),
 * class by score against the threshold, score and tissue fraction as measurements (object form,
 * QuPath >= 0.4). Tiles with a non-finite score are left out (they were not scored).
 */
export function tilesGeoJson(tiles: readonly ScoredTile[], opts: GeoJsonOptions): TileFeatureCollection {
  checkThreshold(opts.threshold);
  const features: TileFeature[] = [];
  tiles.forEach((t, i) => {
    const f = tileFeature(t, i, opts);
    if (f) features.push(f);
  });
  return { type: 'FeatureCollection', features, focuslite: collectionInfo(opts, features.length) };
}

/**
 * The same document as `JSON.stringify(tilesGeoJson(tiles, opts))`, produced in chunks of a few
 * thousand features so a slide with hundreds of thousands of tiles is written without holding the
 * whole object graph and string in memory.
 */
export function* tilesGeoJsonChunks(tiles: readonly ScoredTile[], opts: GeoJsonOptions, featuresPerChunk = 4096): Generator<string> {
  checkThreshold(opts.threshold);
  yield '{"type":"FeatureCollection","features":[';
  let written = 0;
  let batch: string[] = [];
  for (let i = 0; i < tiles.length; i++) {
    const f = tileFeature(tiles[i]!, i, opts);
    if (!f) continue;
    batch.push(JSON.stringify(f));
    if (batch.length === featuresPerChunk) {
      yield (written > 0 ? ',' : '') + batch.join(',');
      written += batch.length;
      batch = [];
    }
  }
  if (batch.length > 0) yield (written > 0 ? ',' : '') + batch.join(',');
  written += batch.length;
  yield `],"focuslite":${JSON.stringify(collectionInfo(opts, written))}}`;
}

function checkThreshold(threshold: number): void {
  finite('threshold', threshold);
}

const POLYGON_NOTES: Record<GeoJsonPolygons, string> = {
  crops: 'one square per scored crop; neighbouring crops overlap (235 px at stride 128 by default), so do not add up their areas (see --geojson-cells)',
  cells: 'one polygon per scored crop: its map cell, the pixels nearest to its centre; cells never overlap, so their areas add up',
};

function collectionInfo(opts: GeoJsonOptions, tiles: number): TileFeatureCollection['focuslite'] {
  const polygons = opts.polygons ?? 'crops';
  return { model: opts.modelName, scoreScale: opts.scale, threshold: opts.threshold, tiles, polygons, note: POLYGON_NOTES[polygons] };
}

/** One tile as a QuPath feature; null for a tile that was not scored (non-finite score). */
function tileFeature(t: ScoredTile, i: number, opts: GeoJsonOptions): TileFeature | null {
  if (!Number.isFinite(t.score)) return null;
  const cls = t.score > opts.threshold ? CLASS_OUT_OF_FOCUS : CLASS_IN_FOCUS;
  const cells = opts.polygons === 'cells';
  if (cells && !t.cell) throw new Error(`Expected a map cell for the tile at (${t.x}, ${t.y}) to write cell polygons`);
  const { x, y, w, h } = cells ? t.cell! : t;
  const tissue = cells ? t.cell!.tissue : t.tissue;
  return {
    type: 'Feature',
    id: deterministicUuid(`${cells ? 'cell:' : ''}${i}:${x},${y},${w},${h}`),
    geometry: { type: 'Polygon', coordinates: [[[x, y], [x + w, y], [x + w, y + h], [x, y + h], [x, y]]] },
    properties: {
      objectType: 'tile',
      classification: { name: cls.name, color: [...cls.color] as [number, number, number] },
      measurements: { 'Focus score': t.score, 'Tissue fraction': Number.isFinite(tissue) ? tissue : 0 },
      isLocked: false,
    },
  };
}
