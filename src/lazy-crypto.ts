import { lazyRequire } from './lazy.js';
import type * as Crypto from 'node:crypto';

let crypto: typeof Crypto | undefined;

/**
 * node:crypto's createHash, loaded on first use: loading node:crypto costs about
 * 5 ms, and most deliveries hash nothing (only `${md5:}` and friends, long once
 * keys and reply-file identities do).
 */
export function createHash(algorithm: string): Crypto.Hash {
  crypto ??= lazyRequire<typeof Crypto>('node:crypto');
  return crypto.createHash(algorithm);
}
