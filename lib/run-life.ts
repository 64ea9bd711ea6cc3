/**
 * A mix run's life: what each callback (or reconciliation) does to its task. One table, used by the
 * task store to decide what to write and by the consumer to decide which hook runs, so the two can
 * never disagree. docs/hooks.md holds the same table for readers.
 *
 * A run is one mix of a task, from the callback that began it (normally its mix_start) to its stop.
 * Its id is `appid:task_id:<seq of that first callback>`; the seqs of one task only increase, so no
 * two runs of a task share it while the task is kept.
 */

/** What the task store knows of a task's current run (absent: the task was never seen). */
export interface RunState {
  status: 'running' | 'stopped';
  /** The highest seq applied to the task. */
  seq: string;
  /** The seq of the mix_start that began this run; absent when its stop came first. */
  startSeq?: string | undefined;
  /** The seq of the mix_stop that stopped this run; absent while running or when reconciliation stopped it. */
  stopSeq?: string | undefined;
  stoppedBy?: 'callback' | 'reconciliation' | undefined;
  /** Set when reconciliation stopped this run: the check's time, which identifies it. */
  reconciledAt?: string | undefined;
}

export type RunEvent =
  | { kind: 'mix_start'; seq: string }
  | { kind: 'mix_stop'; seq: string }
  /** The scheduled check found that ZEGO no longer knows the run it saw running with this seq. */
  | { kind: 'reconciliation'; seq: string; checkedAt: string };

/**
 * - `run_started`: a mix_start when the task is not running: a new run; onMixStarted.
 * - `run_updated`: a mix_start with a higher seq while running (StartMix on a running task updates
 *   the mix); onMixUpdated.
 * - `run_stopped`: the first stop of a run, by its mix_stop or by reconciliation; onMixStopped.
 * - `stop_recorded`: a further mix_stop of a stopped run (StopMix called twice, or the genuine stop
 *   after a reconciled one): recorded, no hook.
 * - `stale`: older than what the task holds: nothing written, no hook.
 */
export type Transition = 'run_started' | 'run_updated' | 'run_stopped' | 'stop_recorded' | 'stale';

export interface Step {
  transition: Transition;
  /**
   * This very callback (or reconciliation) made this transition before: nothing is written again,
   * and its hook runs again. The idempotency layer lets a callback through again only when its
   * earlier attempt did not complete (its hook threw, or the consumer died), or when it comes back
   * after `idempotencyDays`.
   */
  repeat: boolean;
}

const step = (transition: Transition, repeat = false): Step => ({ transition, repeat });

/** What a mix event does to a task never seen before: a start begins a run, a stop stops one. */
export const FIRST_TRANSITION = { mix_start: 'run_started', mix_stop: 'run_stopped' } as const;

/**
 * The transition an event makes from a state. Equal seqs: the same event with the same seq is the
 * same callback; of a start and a stop with the same seq, the stop outranks the start.
 */
export function decide(state: RunState | undefined, event: RunEvent): Step {
  if (event.kind === 'reconciliation') return decideReconciliation(state, event);
  if (!state) return step(FIRST_TRANSITION[event.kind]);

  const seq = BigInt(event.seq);
  const taskSeq = BigInt(state.seq);
  // The callback that began or stopped this run, again: its hook runs again, nothing is written.
  if (event.kind === 'mix_start' && same(state.startSeq, seq)) return step('run_started', true);
  if (event.kind === 'mix_stop' && state.stoppedBy === 'callback' && same(state.stopSeq, seq))
    return step('run_stopped', true);

  if (state.status === 'running') {
    if (event.kind === 'mix_stop') return step(seq >= taskSeq ? 'run_stopped' : 'stale');
    if (seq > taskSeq) return step('run_updated');
    return seq === taskSeq ? step('run_updated', true) : step('stale');
  }
  if (event.kind === 'mix_start') return step(seq > taskSeq ? 'run_started' : 'stale');
  return step(seq >= taskSeq ? 'stop_recorded' : 'stale');
}

function decideReconciliation(
  state: RunState | undefined,
  { seq, checkedAt }: { seq: string; checkedAt: string },
): Step {
  if (state?.status === 'running') return step(BigInt(state.seq) === BigInt(seq) ? 'run_stopped' : 'stale');
  const reconciledHere = state?.stoppedBy === 'reconciliation' && state.reconciledAt === checkedAt;
  return reconciledHere ? step('run_stopped', true) : step('stale');
}

function same(stored: string | undefined, seq: bigint): boolean {
  return stored !== undefined && BigInt(stored) === seq;
}

/** The id of the run a callback with `seq` begins. */
export function runIdOf(appid: string, taskId: string, seq: string): string {
  return `${appid}:${taskId}:${seq}`;
}

/** The seq that began a run, read back from its id (the part after the last ":", always digits). */
export function runSeqOf(runId: string): string {
  return runId.slice(runId.lastIndexOf(':') + 1);
}

/**
 * Which run a stale callback belonged to: this run when its seq is not below the seq that began the
 * run (an older update, or a stop overtaken by a later one), else an earlier run of the task.
 */
export function staleRun(runId: string, seq: string): { runId: string } | { earlierThan: string } {
  return BigInt(seq) >= BigInt(runSeqOf(runId)) ? { runId } : { earlierThan: runId };
}
