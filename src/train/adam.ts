/**
 * Adam (PyTorch defaults: betas 0.9/0.999, eps 1e-8, no weight decay, no amsgrad) and StepLR.
 * Pure TS, float64. The state is plain arrays so a checkpoint can store and restore it exactly.
 */
import { halfOpen, nonNegativeInteger, positiveInteger, positiveNumber } from '../core/check.js';

export interface AdamOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
}

export interface AdamState {
  /** steps taken so far */
  step: number;
  m: Float64Array;
  v: Float64Array;
}

export class Adam {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  step = 0;
  readonly m: Float64Array;
  readonly v: Float64Array;

  constructor(size: number, options: AdamOptions = {}) {
    positiveInteger('parameter count', size);
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    for (const [name, b] of [['beta1', this.beta1], ['beta2', this.beta2]] as const) {
      halfOpen(name, b, 0, 1);
    }
    positiveNumber('eps', this.eps);
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
  }

  /** One update of `params` in place with gradient `grad` and learning rate `lr` (PyTorch's formula). */
  update(params: Float64Array, grad: ArrayLike<number>, lr: number): void {
    if (params.length !== this.m.length || grad.length !== this.m.length) {
      throw new Error(`Expected ${this.m.length} parameters and gradients but received ${params.length} and ${grad.length}`);
    }
    if (!(lr >= 0) || !Number.isFinite(lr)) throw new Error(`Expected non-negative finite learning rate but received ${lr}`);
    this.step++;
    const { beta1: b1, beta2: b2, eps, m, v } = this;
    const bc1 = 1 - b1 ** this.step;
    const bc2Sqrt = Math.sqrt(1 - b2 ** this.step);
    const stepSize = lr / bc1;
    for (let i = 0; i < params.length; i++) {
      const g = grad[i]!;
      m[i] = b1 * m[i]! + (1 - b1) * g;
      v[i] = b2 * v[i]! + (1 - b2) * g * g;
      params[i] = params[i]! - (stepSize * m[i]!) / (Math.sqrt(v[i]!) / bc2Sqrt + eps);
    }
  }

  getState(): AdamState {
    return { step: this.step, m: Float64Array.from(this.m), v: Float64Array.from(this.v) };
  }

  setState(state: { step: number; m: ArrayLike<number>; v: ArrayLike<number> }): void {
    nonNegativeInteger('Adam step', state.step);
    if (state.m.length !== this.m.length || state.v.length !== this.v.length) {
      throw new Error(`Expected Adam moments of length ${this.m.length} but received ${state.m.length} and ${state.v.length}`);
    }
    this.step = state.step;
    this.m.set(state.m);
    this.v.set(state.v);
  }
}

/** StepLR: the learning rate of (0-based) epoch e is lr0 * gamma^floor(e / stepSize). */
export function stepLr(lr0: number, epoch: number, stepSize: number, gamma = 0.1): number {
  positiveInteger('step size', stepSize);
  nonNegativeInteger('epoch', epoch);
  return lr0 * gamma ** Math.floor(epoch / stepSize);
}
