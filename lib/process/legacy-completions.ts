import {
  IdempotencyConfig,
  IdempotencyItemNotFoundError,
  IdempotencyRecordStatus,
} from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import { legacyIdentity } from '../zego/callback-identity';
import { type CompletedBeforeUpgrade, IDEMPOTENCY_KEY_PREFIX } from './contract';

/**
 * Before 0.1.0 (package.json's version) a callback's idempotency record was keyed appid:event:seq.
 * Records written then live for `idempotencyDays`; a callback that completed then and arrives again
 * now (a ZEGO duplicate, a redrive) has a new key, so the idempotency layer does not know it. The
 * task store does: it answers `already_applied` (the task's seq is this callback's). Only then is the
 * old record read, and a completed one means the hook already ran. Once every old record has expired
 * this check always answers false. It goes in 0.3.0: the upgrade notes of 0.2.0 say a stage must run
 * 0.1.x or later for its `idempotencyDays` before taking 0.3.0.
 */
export function legacyCompletions(persistenceStore: BasePersistenceLayer): CompletedBeforeUpgrade {
  persistenceStore.configure({
    config: new IdempotencyConfig({ eventKeyJmesPath: 'idempotencyKey' }),
    keyPrefix: IDEMPOTENCY_KEY_PREFIX,
  });
  return async (callback) => {
    try {
      const record = await persistenceStore.getRecord({ idempotencyKey: legacyIdentity(callback) });
      return record.getStatus() === IdempotencyRecordStatus.COMPLETED;
    } catch (error) {
      if (error instanceof IdempotencyItemNotFoundError) return false;
      throw error;
    }
  };
}
