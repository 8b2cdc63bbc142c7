/** Every fuzz target, by name. */
import { framesTarget } from './frames.js';
import { framesBorrowedTarget, framesNodeTarget } from './frames-node.js';
import { headsTarget } from './heads.js';
import { tokensTarget } from './tokens.js';
import { differentialTarget } from './differential.js';
import { draftsTarget } from './drafts.js';
import { proxyTarget } from './proxy.js';
import { websocketDriverTarget } from './websocket-driver.js';
import type { FuzzTarget } from './target.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const targets: ReadonlyArray<FuzzTarget<any>> = [framesTarget, framesNodeTarget, framesBorrowedTarget, headsTarget, tokensTarget, differentialTarget, proxyTarget, draftsTarget, websocketDriverTarget];
