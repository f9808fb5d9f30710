import { toText, type ByteString } from '../bytes.js';
import { openOnceStore } from '../once/open.js';
import type { OnceVerdict } from '../once/store.js';
import type { OnceAccess } from './request.js';

/** One delivery's use of the once database. */
export interface ClaimInput {
  /** The expanded `once` value: a path or a server's URL. */
  database: ByteString;
  key: ByteString;
  /** The mailbox answered (the envelope recipient): its own entries on a shared server. */
  scope: ByteString;
  now: number;
  repeatSeconds: number;
  /** --max-replies-per-hour, or 0 when the rate rule is off. */
  maxPerHour: number;
  /** once_file_size. */
  maxBytes: number;
  note: ByteString | undefined;
  mode: number;
  access: OnceAccess;
  env: NodeJS.ProcessEnv;
}

/**
 * Check and record in one atomic step on the database, before anything is
 * submitted: N deliveries racing for one sender give one reply, and a reply whose
 * submission then fails stays recorded (rather miss a reply than send two).
 */
export async function claimOnce(c: ClaimInput): Promise<OnceVerdict> {
  const store = await openOnceStore(c.database, {
    mode: c.mode,
    timeoutMs: c.access.timeoutMs,
    env: c.env,
    ...(c.access.passwordFile ? { passwordFile: c.access.passwordFile } : {}),
  });
  try {
    const repeatMs = c.repeatSeconds * 1000;
    return await store.claim({
      key: c.key,
      scope: toText(c.scope).toLowerCase(),
      now: c.now,
      repeatMs,
      maxPerHour: c.maxPerHour,
      maxBytes: c.maxBytes,
      keepMs: repeatMs > 0 ? repeatMs : c.access.maxAgeMs,
      ...(c.note !== undefined ? { note: toText(c.note) } : {}),
    });
  } finally {
    await store.close();
  }
}
