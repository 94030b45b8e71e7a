/**
 * The metadata block and the reading warnings of a slide's focus.json: what the reader recorded
 * (scan date, scanner, objective, MPP and its source, ICC profile) and what a reader of the
 * report must know, above all when the file records no MPP: then every area figure (mm²) is
 * left empty rather than guessed, and the tissue detector's size rules assume 0.5 µm/px.
 */
import { slideMetadata, type SlideMetadata } from '../io/slide/metadata.js';
import type { SlideInfo } from '../io/slide/types.js';

export const NO_MPP_WARNING =
  'the slide records no MPP (pixel size): tissue and blur areas in mm² are left empty, the slide cannot be resampled to the resolution of a model or of --mpp (it is scored at level 0 as stored), and the tissue detector sizes its clean-up assuming 0.5 µm/px';

export interface SlideMetadataReport {
  readonly metadata: SlideMetadata;
  readonly warnings: string[];
}

export function slideMetadataReport(info: SlideInfo): SlideMetadataReport {
  const metadata = info.metadata ?? slideMetadata(info);
  const warnings = [...(info.warnings ?? [])];
  if (!info.mpp) warnings.push(NO_MPP_WARNING);
  return { metadata, warnings };
}
