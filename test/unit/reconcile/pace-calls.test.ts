import { describe, expect, it } from 'vitest';
import { paced } from '../../../lib/reconcile/pace-calls';

/** A clock that only the fake sleep moves. */
function fakeTime() {
  let now = 0;
  const waits: number[] = [];
  return {
    now: () => now,
    waits,
    sleep: async (ms: number) => {
      waits.push(ms);
      now += ms;
    },
  };
}

describe('paced', () => {
  it('spaces call starts 1/perSecond apart, however many are started at once', async () => {
    const waits: number[] = [];
    const called: number[] = [];
    const call = paced(async (n: number) => void called.push(n), {
      perSecond: 20,
      now: () => 0, // all four start at the same instant
      sleep: async (ms) => void waits.push(ms),
    });
    await Promise.all([1, 2, 3, 4].map((n) => call(n)));
    expect(waits).toEqual([50, 100, 150]);
    expect(called.sort()).toEqual([1, 2, 3, 4]);
  });

  it('does not wait when calls come slower than the pace', async () => {
    const time = fakeTime();
    const call = paced(async () => 'ok', { perSecond: 10, ...time });
    expect(await call()).toBe('ok');
    await time.sleep(500);
    time.waits.length = 0;
    await call();
    expect(time.waits).toEqual([]);
  });

  it('refuses a pace that is not positive', () => {
    expect(() => paced(async () => {}, { perSecond: 0 })).toThrow(RangeError);
    expect(() => paced(async () => {}, { perSecond: Number.NaN })).toThrow('perSecond must be more than 0');
  });
});
