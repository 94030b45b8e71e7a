/**
 * Batch losses with analytic gradients wrt the predictions. Pure TS.
 *
 * - plcc: -PLCC(pred, target) over the batch, as the original training minimises (it maximises
 *   the Pearson correlation, so only the ranking/shape of the scores is learned: scale 'relative').
 * - mse / mae: mean squared / absolute error (PyTorch MSELoss / L1Loss, reduction 'mean'), for
 *   models that predict |z-level| (scale 'z-level').
 */
import { invalidParameterError } from '../core/check.js';

export type LossName = 'plcc' | 'mse' | 'mae';
export const LOSS_NAMES: readonly LossName[] = ['plcc', 'mse', 'mae'];

export interface LossResult {
  readonly loss: number;
  /** d loss / d prediction_i */
  readonly grad: Float64Array;
  /** false when the loss is undefined for this batch (PLCC of constant values): skip the step */
  readonly defined: boolean;
}

function checkPair(pred: ArrayLike<number>, target: ArrayLike<number>): void {
  if (pred.length !== target.length) throw new Error(`Expected as many targets as predictions but received ${target.length} and ${pred.length}`);
  if (pred.length === 0) throw new Error('Expected at least one prediction but received none');
}

/**
 * -PLCC and its gradient. With a = pred - mean(pred), b = target - mean(target), r = a.b/(|a||b|):
 * dr/dpred_i = b_i/(|a||b|) - r a_i/|a|^2 (the mean's own term vanishes because sum(a) = sum(b) = 0).
 * A batch where predictions or targets do not vary has no defined correlation: it is reported as
 * not `defined` (loss 0, gradient 0) so the trainer skips it (the original would produce NaN and
 * poison the weights).
 */
export function plccLoss(pred: ArrayLike<number>, target: ArrayLike<number>): LossResult {
  checkPair(pred, target);
  const n = pred.length;
  let mp = 0, mt = 0;
  for (let i = 0; i < n; i++) { mp += pred[i]!; mt += target[i]!; }
  mp /= n; mt /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const a = pred[i]! - mp, b = target[i]! - mt;
    sab += a * b; saa += a * a; sbb += b * b;
  }
  const grad = new Float64Array(n);
  if (!(saa > 0) || !(sbb > 0)) return { loss: 0, grad, defined: false };
  const na = Math.sqrt(saa), nb = Math.sqrt(sbb);
  const r = sab / (na * nb);
  for (let i = 0; i < n; i++) {
    const a = pred[i]! - mp, b = target[i]! - mt;
    grad[i] = -(b / (na * nb) - (r * a) / saa);
  }
  return { loss: -r, grad, defined: true };
}

export function mseLoss(pred: ArrayLike<number>, target: ArrayLike<number>): LossResult {
  checkPair(pred, target);
  const n = pred.length;
  const grad = new Float64Array(n);
  let s = 0;
  for (let i = 0; i < n; i++) {
    const d = pred[i]! - target[i]!;
    s += d * d;
    grad[i] = (2 * d) / n;
  }
  return { loss: s / n, grad, defined: true };
}

/** Subgradient 0 where prediction equals target, as PyTorch's sign(). */
export function maeLoss(pred: ArrayLike<number>, target: ArrayLike<number>): LossResult {
  checkPair(pred, target);
  const n = pred.length;
  const grad = new Float64Array(n);
  let s = 0;
  for (let i = 0; i < n; i++) {
    const d = pred[i]! - target[i]!;
    s += Math.abs(d);
    grad[i] = Math.sign(d) / n;
  }
  return { loss: s / n, grad, defined: true };
}

export function lossFunction(name: LossName): (pred: ArrayLike<number>, target: ArrayLike<number>) => LossResult {
  switch (name) {
    case 'plcc': return plccLoss;
    case 'mse': return mseLoss;
    case 'mae': return maeLoss;
    default: throw invalidParameterError('loss', `one of ${LOSS_NAMES.join(', ')}`, name);
  }
}
