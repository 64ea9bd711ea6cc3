/**
 * The names a rule matches on, named once (docs/events.md says the same). A custom source must not
 * begin with `aws.`; the detail-types read as what happened to a run.
 */
export const EVENT_SOURCE = 'zego-mix-callbacks';

export const DETAIL_TYPES = {
  started: 'Mix Started',
  updated: 'Mix Updated',
  stopped: 'Mix Stopped',
  orphaned: 'Mix Orphaned',
} as const;

export type DetailType = (typeof DETAIL_TYPES)[keyof typeof DETAIL_TYPES];

/** The eventId of a run's orphan report: one report per run, so one id per run. */
export const orphanedEventId = (runId: string) => `${runId}:#orphaned`;

/** The details' `version`: bumped only when a field is removed or changes its meaning. */
export const DETAIL_VERSION = 1 as const;
