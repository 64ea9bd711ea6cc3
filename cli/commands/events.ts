import { printable } from '../../lib/text/printable';
import type { BusEvent } from '../../tools/local-stack/event-bus';
import { CommandFailedError, parse } from '../args';
import { runningLocalStack } from '../target';

export const EVENTS_HELP = `Usage: zego events [--task ID] [--json]

Lists the run events (Mix Started, Mix Updated, Mix Stopped, Mix Orphaned) that the running
\`npm start\` published, oldest first, as its local stand-in of the EventBridge bus took them.
Locally only: a deployed stage's events are on its bus, for its rules (docs/events.md: a rule to an
SQS queue, or replay from the archive).

  --task ID   only the events of this task (its task_id as sent)
  --json      each event as EventBridge delivers it to a target, one JSON object per line
  --stage S   not served: says where a deployed stage's events are instead`;

export const EVENTS_OPTIONS = {
  task: { type: 'string' },
  json: { type: 'boolean', default: false },
  stage: { type: 'string' },
} as const;

export async function events(args: string[]): Promise<void> {
  const { values } = parse(args, EVENTS_OPTIONS);
  if (values.help) return void console.log(EVENTS_HELP);
  if (values.stage !== undefined) {
    throw new CommandFailedError(
      `reads only npm start's local stand-in of the bus; stage ${printable(values.stage, 64)}'s events are on its EventBridge bus: add a rule to a queue, or replay its archive (docs/events.md)`,
    );
  }
  const { eventBusUrl } = runningLocalStack({ localOnly: true });
  if (!eventBusUrl) throw new CommandFailedError('the running npm start publishes no events: restart it');
  const url = new URL('/events', eventBusUrl);
  if (values.task !== undefined) url.searchParams.set('task', values.task);
  let found: BusEvent[];
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    found = (await response.json()) as BusEvent[];
  } catch (error) {
    throw new CommandFailedError(`could not reach npm start's event bus: ${(error as Error).message}`);
  }
  if (values.json) {
    for (const event of found) console.log(JSON.stringify(event));
    return;
  }
  if (found.length === 0) {
    const which = values.task === undefined ? '' : ` of task ${printable(values.task, 80)}`;
    console.log(`no events${which} yet`);
    return;
  }
  const text = (value: unknown) => printable(String(value ?? ''), 80);
  const rows = found.map((event) => [
    event.time.replace('T', ' ').slice(0, 19),
    text(event['detail-type']),
    text(event.detail.task_id),
    text(event.detail.runId),
    text(event.detail.eventId),
  ]);
  const header = ['TIME (UTC)', 'DETAIL-TYPE', 'TASK', 'RUN', 'EVENT ID'];
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  for (const row of [header, ...rows]) {
    console.log(
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    );
  }
}
