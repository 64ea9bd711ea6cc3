import { describe, expect, it } from 'vitest';
import { decide, type RunEvent, type RunState, runIdOf, runSeqOf, staleRun } from '../../lib/run-life';

// The table of docs/hooks.md, row by row. The task holds seq 20 in every state but `none`.
const none = undefined;
const running: RunState = { status: 'running', seq: '20', startSeq: '10' };
const stoppedByStop: RunState = {
  status: 'stopped',
  seq: '20',
  startSeq: '10',
  stopSeq: '20',
  stoppedBy: 'callback',
};
const stoppedTwice: RunState = {
  status: 'stopped',
  seq: '20',
  startSeq: '10',
  stopSeq: '15',
  stoppedBy: 'callback',
};
const reconciled: RunState = {
  status: 'stopped',
  seq: '20',
  startSeq: '10',
  stoppedBy: 'reconciliation',
  reconciledAt: 'T1',
};
const start = (seq: string): RunEvent => ({ kind: 'mix_start', seq });
const stop = (seq: string): RunEvent => ({ kind: 'mix_stop', seq });
const reconciliation = (seq: string, checkedAt = 'T1'): RunEvent => ({
  kind: 'reconciliation',
  seq,
  checkedAt,
});

describe('decide: the run’s life', () => {
  it.each([
    ['none', none, start('5'), 'run_started', false],
    ['none', none, stop('5'), 'run_stopped', false],
    ['none', none, reconciliation('5'), 'stale', false],
    ['running', running, start('21'), 'run_updated', false],
    ['running', running, start('20'), 'run_updated', true],
    ['running', running, start('19'), 'stale', false],
    ['running', running, start('10'), 'run_started', true],
    ['running', running, stop('21'), 'run_stopped', false],
    ['running', running, stop('20'), 'run_stopped', false],
    ['running', running, stop('19'), 'stale', false],
    ['running', running, reconciliation('20'), 'run_stopped', false],
    ['running', running, reconciliation('19'), 'stale', false],
    ['stopped by its mix_stop', stoppedByStop, start('21'), 'run_started', false],
    ['stopped by its mix_stop', stoppedByStop, start('20'), 'stale', false],
    ['stopped by its mix_stop', stoppedByStop, start('10'), 'run_started', true],
    ['stopped by its mix_stop', stoppedByStop, stop('20'), 'run_stopped', true],
    ['stopped by its mix_stop', stoppedByStop, stop('21'), 'stop_recorded', false],
    ['stopped by its mix_stop', stoppedByStop, stop('19'), 'stale', false],
    ['stopped by its mix_stop', stoppedByStop, reconciliation('20'), 'stale', false],
    ['stopped, then stopped again', stoppedTwice, stop('15'), 'run_stopped', true],
    ['stopped, then stopped again', stoppedTwice, stop('20'), 'stop_recorded', false],
    ['stopped, then stopped again', stoppedTwice, stop('16'), 'stale', false],
    ['stopped by reconciliation', reconciled, stop('20'), 'stop_recorded', false],
    ['stopped by reconciliation', reconciled, reconciliation('20'), 'run_stopped', true],
    ['stopped by reconciliation', reconciled, reconciliation('20', 'T2'), 'stale', false],
    ['stopped by reconciliation', reconciled, start('21'), 'run_started', false],
  ] as const)('%s, %o: %s (repeat: %s)', (_state, state, event, transition, repeat) => {
    expect(decide(state, event)).toEqual({ transition, repeat });
  });

  it('compares seqs by every digit, past 2^53', () => {
    const big = { status: 'running', seq: '90071992547409931', startSeq: '90071992547409931' } as const;
    expect(decide(big, stop('90071992547409930'))).toEqual({ transition: 'stale', repeat: false });
    expect(decide(big, start('90071992547409932'))).toEqual({ transition: 'run_updated', repeat: false });
  });

  // A run's stop is its hook's: a task stopped by reconciliation never takes a mix_stop as the
  // repeat of its stop, even if it holds the stop seq of an earlier mix_stop (a task written by an
  // older version), or onMixStopped would run a second time for the run.
  it('takes a mix_stop of a reconciled run as recorded, never as the repeat of its stop', () => {
    const reconciledWithStopSeq = { ...reconciled, stopSeq: '20' };
    expect(decide(reconciledWithStopSeq, stop('20'))).toEqual({ transition: 'stop_recorded', repeat: false });
  });

  it('takes a reconciliation stamped with this check as this one only when it stopped the run', () => {
    const stoppedByCallbackAtThatTime = { ...stoppedByStop, reconciledAt: 'T1' };
    expect(decide(stoppedByCallbackAtThatTime, reconciliation('20'))).toEqual({
      transition: 'stale',
      repeat: false,
    });
  });
});

describe('run ids', () => {
  it('name a run by the seq of the callback that began it, read back from the last part', () => {
    const id = runIdOf('111111', 'room:1:2', '42');
    expect(id).toBe('111111:room:1:2:42');
    expect(runSeqOf(id)).toBe('42');
  });

  it('say which run a stale callback belonged to: this one from its first seq on, else an earlier one', () => {
    const id = runIdOf('111111', 't', '42');
    expect(staleRun(id, '42')).toEqual({ runId: id });
    expect(staleRun(id, '50')).toEqual({ runId: id });
    expect(staleRun(id, '41')).toEqual({ earlierThan: id });
  });
});
