/**
 * Per-slide outputs: tile CSV, QuPath GeoJSON, heat map and out-of-focus mask PNGs, the share of
 * tissue that is out of focus, and summary statistics. Everything here is a pure function of
 * the scored tiles (level-0 pixel rectangles); writing files is the caller's job
 * (see io/atomic.ts).
 *
 * Tiles overlap (235-px crops at stride 128), so every per-area quantity (heat-map colour, mask,
 * blurred share, GeoJSON cells) uses the tiles' map cells instead: the non-overlapping pieces
 * that pixels nearest to each crop's centre form (see cellBounds in slide-grid.ts). Each cell
 * shows its own crop's score, unmixed, so a single blurred crop is one solid square, never a
 * "+" of thin strips where averages of overlapping crops cross the threshold.
 */
export { type MapCell, type MappedTile, type ScoreScale, type ScoredTile, TILES_CSV_HEADER, mapCell, parseTilesCsv, tilesCsv } from './slide-tiles.js';
export { CLASS_IN_FOCUS, CLASS_OUT_OF_FOCUS, type GeoJsonOptions, type GeoJsonPolygons, type TileFeature, type TileFeatureCollection, deterministicUuid, tilesGeoJson, tilesGeoJsonChunks } from './slide-geojson.js';
export { type Colormap, type ColourRange, type HeatmapOptions, Z_LEVEL_RANGE, cellScoreGrid, colourAt, colourRange, formatTick, heatmapLegendLines } from './slide-colours.js';
export { type BlurShare, type BlurShareOptions, type SummaryStats, blurShare, percentileSorted, summaryStats } from './slide-stats.js';
export { type HeatmapLayout, type MapImage, bannerSvg, buildHeatmap, heatmapLayout, renderHeatmap } from './slide-heatmap.js';
export { MASK_LEVELS, type MaskLayout, type MaskOptions, buildMask, mapsInfo, maskLayout, maskLegend, renderMask } from './slide-mask.js';
