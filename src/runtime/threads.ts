/** The default thread count of every command: one per core the OS lets this process use. */
import { availableParallelism } from 'node:os';

export function defaultThreads(): number {
  return availableParallelism();
}
