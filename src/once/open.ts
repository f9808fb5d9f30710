import { toText, type ByteString } from '../bytes.js';
import type { Settings } from '../settings.js';
import type { OnceStore } from './store.js';

export async function openStore(path: ByteString, settings: Settings): Promise<OnceStore> {
  const { openOnceStore } = await import('./lmdb-store.js');
  return openOnceStore(toText(path), settings.options.mode);
}

