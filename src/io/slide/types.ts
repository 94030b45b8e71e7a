/**
 * One interface for every whole-slide backend (sharp, OpenSlide, ...). The scoring pipeline only
 * sees these types, so a backend can be swapped without touching it.
 */
import type { RgbImage } from '../../core/image.js';
import type { SlideMetadata } from './metadata.js';

export type { SlideMetadata } from './metadata.js';

export interface SlideLevel {
  /** Size of this level in its own pixels. */
  readonly width: number;
  readonly height: number;
  /** Level-0 pixels per pixel of this level (1 for level 0; OpenSlide's definition: mean of x and y). */
  readonly downsample: number;
  /** Native tile size when the level is tiled: regions aligned to it decode the fewest tiles. */
  readonly tileWidth?: number;
  readonly tileHeight?: number;
}

export interface SlideInfo {
  readonly path: string;
  /** Backend that reads the slide: 'sharp' | 'openslide' | 'dicom'. */
  readonly reader: string;
  /** 'aperio-svs', 'generic-tiff', 'ome-tiff', 'ndpi', 'png', 'jpeg', 'webp', 'mirax', ... */
  readonly format: string;
  /** Level 0 is full resolution; later levels are smaller (downsample increasing). */
  readonly levels: readonly SlideLevel[];
  /** Micrometres per level-0 pixel, when the file says. */
  readonly mpp: { readonly x: number; readonly y: number } | null;
  readonly objectivePower: number | null;
  /** Names accepted by readAssociated ('thumbnail', 'label', 'macro', ...). */
  readonly associatedImages: readonly string[];
  /** Vendor metadata as flat key/value strings (OpenSlide-style names such as 'aperio.MPP'). */
  readonly properties: Readonly<Record<string, string>>;
  /**
   * Scan date, scanner, objective, MPP and its source (metadata.ts derives it from the
   * properties). The built-in readers always set it; slideMetadata(info) computes it otherwise.
   */
  readonly metadata?: SlideMetadata;
  /** What a report should say about how the slide was read (inferred layouts, MPP caveats). */
  readonly warnings?: readonly string[];
}

export interface SlideReader {
  readonly info: SlideInfo;
  /**
   * A w x h region whose top-left corner is (x, y) in the pixels of `level`. Parts of the region
   * beyond the right or bottom edge of the slide come back white (255), as do transparent pixels.
   */
  readRegion(level: number, x: number, y: number, w: number, h: number): Promise<RgbImage>;
  /** One of info.associatedImages, whole. */
  readAssociated(name: string): Promise<RgbImage>;
  /** The whole slide scaled so its longer side is at most maxSize (never enlarged). */
  thumbnail(maxSize: number): Promise<RgbImage>;
  /** Release the file; the reader must not be used afterwards. */
  close(): Promise<void>;
}
