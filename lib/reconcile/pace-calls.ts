import { setTimeout as delay } from 'node:timers/promises';

export interface PaceOptions {
  /** Call starts per second at most, however many calls are in flight. */
  perSecond: number;
  /** Current time in milliseconds. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * `call`, its starts spaced at least 1/perSecond apart. Concurrency alone does not bound a rate: four
 * lookups in flight answered in 40 ms would be 100 calls a second, ZEGO's whole limit for the app.
 */
export function paced<A extends unknown[], R>(
  call: (...args: A) => Promise<R>,
  { perSecond, now = Date.now, sleep = (ms) => delay(ms) }: PaceOptions,
): (...args: A) => Promise<R> {
  if (!(perSecond > 0)) throw new RangeError('perSecond must be more than 0');
  const interval = 1000 / perSecond;
  let nextStart = Number.NEGATIVE_INFINITY;
  return async (...args) => {
    const at = Math.max(now(), nextStart);
    nextStart = at + interval;
    const wait = at - now();
    if (wait > 0) await sleep(wait);
    return call(...args);
  };
}
