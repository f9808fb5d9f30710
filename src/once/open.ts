import { toText, type ByteString } from '../bytes.js';
import type { Settings } from '../settings.js';
import type { OnceStore } from './store.js';

/**
 * The rate rule reads the once database before anything is decided; a dry run
 * must work where the database cannot be opened (yet), so it goes without.
 */
export async function openStoreForRate(path: ByteString, settings: Settings, trace: (line: string) => void): Promise<OnceStore | undefined> {
  if (!settings.dryRun) return openStore(path, settings);
  try {
    return await openStore(path, settings);
  } catch (err) {
    trace(`rate: not checked in this dry run (${(err as Error).message})`);
    return undefined;
  }
}

export async function openStore(path: ByteString, settings: Settings): Promise<OnceStore> {
  const { openOnceStore } = await import('./lmdb-store.js');
  return openOnceStore(toText(path), settings.options.mode);
}

