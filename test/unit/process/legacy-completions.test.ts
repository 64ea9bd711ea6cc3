import { IdempotencyItemNotFoundError, IdempotencyRecordStatus } from '@aws-lambda-powertools/idempotency';
import { type BasePersistenceLayer, IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';
import { describe, expect, it } from 'vitest';
import { legacyCompletions } from '../../../lib/process/legacy-completions';

/** A persistence layer that answers every read with `answer` and records the keys asked. */
function store(answer: () => IdempotencyRecord) {
  const asked: unknown[] = [];
  const configured: unknown[] = [];
  const layer = {
    configure: (options: unknown) => void configured.push(options),
    getRecord: async (data: unknown) => {
      asked.push(data);
      return answer();
    },
  } as unknown as BasePersistenceLayer;
  return { layer, asked, configured };
}

const callback = { appid: '111111', event: 'mix_stop', seq: '1234' };
const record = (status: (typeof IdempotencyRecordStatus)[keyof typeof IdempotencyRecordStatus]) =>
  new IdempotencyRecord({ idempotencyKey: 'k', status, expiryTimestamp: Date.now() / 1000 + 3_600 });

describe('legacyCompletions', () => {
  it('says completed only for a completed record under the old appid:event:seq key', async () => {
    const completed = store(() => record(IdempotencyRecordStatus.COMPLETED));
    expect(await legacyCompletions(completed.layer)(callback)).toBe(true);
    expect(completed.asked).toEqual([{ idempotencyKey: '111111:mix_stop:1234' }]);
    // Read as the idempotency layer wrote them: the same key field and prefix.
    expect(completed.configured).toMatchObject([
      { config: { eventKeyJmesPath: 'idempotencyKey' }, keyPrefix: 'zego-callback' },
    ]);
    const inProgress = store(() => record(IdempotencyRecordStatus.INPROGRESS));
    expect(await legacyCompletions(inProgress.layer)(callback)).toBe(false);
  });

  it('says not completed when there is no old record, and lets other failures through', async () => {
    const none = store(() => {
      throw new IdempotencyItemNotFoundError('none');
    });
    expect(await legacyCompletions(none.layer)(callback)).toBe(false);
    const broken = store(() => {
      throw new Error('DynamoDB down');
    });
    await expect(legacyCompletions(broken.layer)(callback)).rejects.toThrow('DynamoDB down');
  });
});
