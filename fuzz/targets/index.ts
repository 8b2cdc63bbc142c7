/** Every fuzz target, by name. */
import { framesTarget } from './frames.js';
import type { FuzzTarget } from './target.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const targets: ReadonlyArray<FuzzTarget<any>> = [framesTarget];
