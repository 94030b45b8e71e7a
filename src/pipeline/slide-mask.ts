/**
 * The out-of-focus mask: a grey-level PNG of the thumbnail's tissue by its map cell's score
 * against the threshold, with a legend of the levels; built here, encoded in io
 * (encode.pngWithPanel).
 */
import { pngWithPanel } from '../io/encode.js';
import { GLYPH_ADVANCE, GLYPH_HEIGHT, LINE_HEIGHT, textPath, textWidth } from './pixel-font.js';
import { finite } from '../core/check.js';
import { cellScoreGrid, checkMask, formatTick, legendScale, notScoredText } from './slide-colours.js';
import type { MapImage } from './slide-heatmap.js';
import { type MappedTile } from './slide-tiles.js';

/** Grey levels of the mask PNG. Only out-of-focus tissue is above 127, so `> 127` selects it. */
export const MASK_LEVELS = { outOfFocus: 255, notScored: 120, inFocus: 60, background: 0 } as const;

export interface MaskOptions {
  /** tissue pixels at thumbnail size (1 = tissue); without it every pixel counts as tissue */
  tissueMask?: Uint8Array;
  /** the --min-tissue of the run, quoted in the legend */
  minTissue?: number;
  /** extra legend lines */
  notes?: readonly string[];
}

export interface MaskLayout {
  width: number;
  height: number;
  /** top of the legend panel: rows [0, panelTop) are the mask, at thumbnail size */
  panelTop: number;
  textScale: number;
}

/** The legend entries of the mask: grey level and meaning, top to bottom. */
export function maskLegend(threshold: number, minTissue?: number): Array<{ level: number; text: string }> {
  return [
    { level: MASK_LEVELS.outOfFocus, text: `white: tissue out of focus (score > ${formatTick(threshold)})` },
    { level: MASK_LEVELS.inFocus, text: `dark grey: tissue in focus (score <= ${formatTick(threshold)})` },
    { level: MASK_LEVELS.notScored, text: `mid grey: ${notScoredText(minTissue)}` },
    { level: MASK_LEVELS.background, text: 'black: glass, background, pen' },
  ];
}

/** Geometry of the mask PNG: the mask at thumbnail size at the top-left, the legend below it. */
export function maskLayout(thumbW: number, thumbH: number, lines: readonly string[]): MaskLayout {
  const s = legendScale(thumbW);
  const m = 8 * s;
  const line = (LINE_HEIGHT + 2) * s;
  const swatch = GLYPH_HEIGHT * s + 2 * s;
  const text = Math.max(0, ...lines.map((l) => textWidth(l, s)));
  const width = Math.max(thumbW, m + swatch + GLYPH_ADVANCE * s + text + m);
  return { width, height: thumbH + m + lines.length * line + m, panelTop: thumbH, textScale: s };
}

/**
 * The out-of-focus mask as a greyscale PNG: at the top, the thumbnail-sized mask (levels in
 * MASK_LEVELS: each tissue pixel by the score of its map cell against the threshold, grey where
 * the tissue is outside every scored cell, black off tissue), below it a legend of the levels.
 */
export async function renderMask(
  thumbW: number, thumbH: number, thumbScale: number, tiles: readonly MappedTile[], threshold: number,
  opts: MaskOptions = {},
): Promise<Buffer> {
  const m = buildMask(thumbW, thumbH, thumbScale, tiles, threshold, opts);
  return pngWithPanel(m.pixels, m.panel, m.panelTop);
}

/** The mask's grey levels and SVG legend (pure: what renderMask encodes). */
export function buildMask(
  thumbW: number, thumbH: number, thumbScale: number, tiles: readonly MappedTile[], threshold: number,
  opts: MaskOptions = {},
): MapImage {
  finite('threshold', threshold);
  checkMask(opts.tissueMask, thumbW, thumbH);
  const scores = cellScoreGrid(thumbW, thumbH, thumbScale, tiles);
  const legend = maskLegend(threshold, opts.minTissue);
  const lines = [...legend.map((e) => e.text), ...(opts.notes ?? [])];
  const L = maskLayout(thumbW, thumbH, lines);
  const px = new Uint8Array(L.width * L.height).fill(255);
  for (let y = 0; y < thumbH; y++) {
    for (let x = 0; x < thumbW; x++) {
      const i = y * thumbW + x;
      const m = scores[i]!;
      px[y * L.width + x] = opts.tissueMask && !opts.tissueMask[i] ? MASK_LEVELS.background
        : Number.isNaN(m) ? MASK_LEVELS.notScored
          : m > threshold ? MASK_LEVELS.outOfFocus : MASK_LEVELS.inFocus;
    }
  }
  // Columns right of a narrow mask belong to the panel (white), as in the heat map.
  const s = L.textScale, mg = 8 * s, line = (LINE_HEIGHT + 2) * s, sw = GLYPH_HEIGHT * s + 2 * s;
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${L.width}" height="${L.height - L.panelTop}" shape-rendering="crispEdges">`;
  svg += `<rect x="0" y="0" width="${L.width}" height="${Math.max(1, s)}" fill="rgb(160,160,160)"/>`;
  let text = '';
  lines.forEach((l, k) => {
    const y = mg + k * line;
    const entry = legend[k];
    if (entry) {
      const v = entry.level;
      svg += `<rect x="${mg}" y="${y - s}" width="${sw}" height="${sw}" fill="rgb(${v},${v},${v})" stroke="black" stroke-width="${s}"/>`;
    }
    text += textPath(l, mg + sw + GLYPH_ADVANCE * s, y, s);
  });
  svg += `<path d="${text}" fill="black"/></svg>`;
  return { pixels: { width: L.width, height: L.height, channels: 1, data: px }, panel: svg, panelTop: L.panelTop };
}

/**
 * What the maps of a slide mean, for focus.json: the thumbnail size (the mask PNG's top rows),
 * the cell rule, and the mask's grey levels.
 */
export function mapsInfo(thumbW: number, thumbH: number, threshold: number, minTissue?: number) {
  return {
    thumbnail: { width: thumbW, height: thumbH },
    cells: 'each map cell shows the score of the crop whose centre is nearest (inner cells: one stride square centred on their crop; edge cells reach the slide border)',
    mask: { rows: thumbH, levels: { ...MASK_LEVELS }, legend: maskLegend(threshold, minTissue).map((e) => e.text) },
    heatmap: 'colour: the cell\'s score on the legend\'s scale; grey: tissue not scored; glass, debris and pen uncoloured',
  };
}
