/** Worker entry of the measure engine: builds the measures from their specs once, then scores tasks. */
import type { MeasureSpec } from '../core/measures/measure-spec.js';
import { serveTasks } from './engine.js';
import { buildMeasures, measureHandler } from './measure-engine.js';

serveTasks(async (init: { specs: MeasureSpec[] }) => measureHandler(await buildMeasures(init.specs)));
