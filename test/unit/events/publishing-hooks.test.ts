import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it, vi } from 'vitest';
import {
  mixOrphanedDetail,
  mixStartedDetail,
  mixStoppedDetail,
  mixUpdatedDetail,
} from '../../../lib/events/event-detail';
import type { PublishEvent } from '../../../lib/events/publish';
import { withOrphanEvents, withRunEvents } from '../../../lib/events/publishing-hooks';
import type { HookContext } from '../../../lib/hook-contract';
import { isMixStart, isMixStop, parseQueuedCallback } from '../../../lib/queue/message';
import type { MixTask } from '../../../lib/store/task-item';
import { signedCallback, signedMixStart } from '../../support/callbacks';
import { queuedBody } from '../../support/messages';

const RUN = '111111:111111:1111:123';
const task: MixTask = {
  appid: '111111',
  task_id: '111111:1111',
  status: 'running',
  seq: '123',
  runId: RUN,
  startSeq: '123',
  startedAt: 1_689_835_223,
  channel_id: '2222',
  updatedAt: '2023-07-20T06:40:23.000Z',
};
const context = (idempotencyKey: string): HookContext => ({
  idempotencyKey,
  receivedAt: '2023-07-20T06:40:23.000Z',
  logger: new Logger({ logLevel: 'SILENT' }),
  remainingTimeMs: () => 10_000,
});

function start() {
  const message = parseQueuedCallback(queuedBody(signedMixStart()));
  if (!isMixStart(message)) throw new Error('not a mix_start');
  return message.callback;
}
function stop() {
  const message = parseQueuedCallback(queuedBody(signedCallback()));
  if (!isMixStop(message)) throw new Error('not a mix_stop');
  return message.callback;
}

/** Your hooks and the publisher, each noting in `calls` when it ran. */
function wired() {
  const calls: string[] = [];
  const published: { detailType: string; detail: unknown }[] = [];
  const publish = vi.fn<PublishEvent>(async (detailType, detail) => {
    calls.push(`publish ${detailType}`);
    published.push({ detailType, detail });
  });
  const hooks = {
    onMixStarted: vi.fn(async () => void calls.push('onMixStarted')),
    onMixUpdated: vi.fn(async () => void calls.push('onMixUpdated')),
    onMixStopped: vi.fn(async () => void calls.push('onMixStopped')),
    onMixOrphaned: vi.fn(async () => void calls.push('onMixOrphaned')),
  };
  return { calls, published, publish, hooks };
}

describe('withRunEvents', () => {
  it('publishes Mix Started first, keyed on the callback’s identity, then calls onMixStarted', async () => {
    const { calls, published, publish, hooks } = wired();
    const callback = start();
    await withRunEvents(hooks, publish).onMixStarted({ runId: RUN, callback, task }, context('k-start'));
    expect(calls).toEqual(['publish Mix Started', 'onMixStarted']);
    const detail = published[0]?.detail;
    expect(mixStartedDetail.parse(detail)).toEqual(detail);
    expect(detail).toEqual({
      version: 1,
      eventId: 'k-start',
      runId: RUN,
      appid: '111111',
      task_id: '111111:1111',
      task,
      receivedAt: '2023-07-20T06:40:23.000Z',
      callback,
    });
    expect(JSON.stringify(detail)).not.toMatch(/signature/);
  });

  it('publishes Mix Updated whether or not you have onMixUpdated', async () => {
    const { calls, published, publish, hooks } = wired();
    const callback = start();
    const { onMixUpdated: _, ...without } = hooks;
    await withRunEvents(without, publish).onMixUpdated?.({ runId: RUN, callback, task }, context('k-up'));
    await withRunEvents(hooks, publish).onMixUpdated?.({ runId: RUN, callback, task }, context('k-up'));
    expect(calls).toEqual(['publish Mix Updated', 'publish Mix Updated', 'onMixUpdated']);
    for (const { detail } of published) expect(mixUpdatedDetail.parse(detail)).toEqual(detail);
  });

  it('publishes Mix Stopped with inferred false and the callback, or inferred true and reconciledAt', async () => {
    const { calls, published, publish, hooks } = wired();
    const stopped = { ...task, status: 'stopped' as const };
    const run = withRunEvents(hooks, publish);
    await run.onMixStopped(
      { inferred: false, runId: RUN, callback: stop(), task: stopped },
      context('k-stop'),
    );
    await run.onMixStopped(
      { inferred: true, runId: RUN, task: stopped, reconciledAt: '2023-07-20T07:00:00.000Z' },
      context('111111:111111:1111:#reconcile:123'),
    );
    expect(calls).toEqual(['publish Mix Stopped', 'onMixStopped', 'publish Mix Stopped', 'onMixStopped']);
    const [byCallback, byReconciliation] = published.map(({ detail }) => mixStoppedDetail.parse(detail));
    expect(byCallback).toMatchObject({ inferred: false, eventId: 'k-stop', callback: { event: 'mix_stop' } });
    expect(byReconciliation).toMatchObject({
      inferred: true,
      eventId: '111111:111111:1111:#reconcile:123',
      reconciledAt: '2023-07-20T07:00:00.000Z',
    });
    expect(byReconciliation).not.toHaveProperty('callback');
  });

  it('calls no hook of yours when the publish fails: the record fails as if your hook had', async () => {
    const { hooks } = wired();
    const publish = vi.fn<PublishEvent>().mockRejectedValue(new Error('EventBridge refused it'));
    await expect(
      withRunEvents(hooks, publish).onMixStarted({ runId: RUN, callback: start(), task }, context('k')),
    ).rejects.toThrow('EventBridge refused it');
    expect(hooks.onMixStarted).not.toHaveBeenCalled();
  });
});

describe('withOrphanEvents', () => {
  it('publishes Mix Orphaned with an id stable per run, then calls onMixOrphaned', async () => {
    const { calls, published, publish, hooks } = wired();
    const orphans = withOrphanEvents(hooks, publish);
    const logger = new Logger({ logLevel: 'SILENT' });
    await orphans.onMixOrphaned({ runId: RUN, task, runningSeconds: 14_400 }, { logger });
    await orphans.onMixOrphaned({ runId: RUN, task, runningSeconds: 14_700 }, { logger });
    expect(calls).toEqual(['publish Mix Orphaned', 'onMixOrphaned', 'publish Mix Orphaned', 'onMixOrphaned']);
    const details = published.map(({ detail }) => mixOrphanedDetail.parse(detail));
    expect(details.map((d) => d.eventId)).toEqual([`${RUN}:#orphaned`, `${RUN}:#orphaned`]);
    expect(details[0]).toMatchObject({ runningSeconds: 14_400, task });
  });
});
