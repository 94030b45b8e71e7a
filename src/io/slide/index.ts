/** Whole-slide reading: one SlideReader interface over sharp and OpenSlide backends. */
export type { SlideInfo, SlideLevel, SlideReader } from './types.js';
export { openSlide, registerSlideBackend, slideBackends, type OpenSlideOptions, type SlideBackend } from './open.js';
export { isOpenSlideAvailable, openSlideUnavailableReason, openSlideVersion } from './openslide-lib.js';
export { probeSlide, formatLabel, type SlideProbe } from './probe.js';
export { slideMetadata, type SlideMetadata } from './metadata.js';
export { dicomSeriesFiles } from './dicom-series.js';
