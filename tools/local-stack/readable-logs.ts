import { printable } from '../../lib/text/printable';

/**
 * Turns the handlers' JSON log lines (Powertools Logger) into one readable line each, for a person
 * watching `npm start`; metric lines (CloudWatch Embedded Metric Format) are left out. Values come
 * from callbacks, so every one is escaped: nothing a caller sent can move the cursor or clear the
 * screen. Anything else written is passed through unchanged.
 */
const SHOWN = [
  'appid',
  'event',
  'seq',
  'task_id',
  'reason',
  'status',
  'taskStatus',
  'transition',
  'earlierThan',
  'receiveCount',
  // the scheduled check
  'candidates',
  'enqueued',
  'orphaned',
] as const;

/** The readable line, or undefined for a line that is not for people (a metric). */
export function readableLine(line: string): string | undefined {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line);
  } catch {
    return line;
  }
  if (typeof record !== 'object' || record === null) return line;
  if ('_aws' in record) return undefined;
  if (!('message' in record) || !('level' in record)) return line;
  const text = (value: unknown, max = 80) => printable(String(value), max);
  const time = typeof record.timestamp === 'string' ? record.timestamp.slice(11, 19) : '';
  const fn = String(record.function ?? '').padEnd(8);
  const fields = SHOWN.filter((key) => record[key] !== undefined).map((key) => `${key}=${text(record[key])}`);
  if (typeof record.latencyMs === 'number') fields.push(`${record.latencyMs}ms`);
  const error = record.error as { message?: string; cause?: { message?: string } } | undefined;
  if (error?.message)
    fields.push(
      `error="${text(`${error.message}${error.cause?.message ? `: ${error.cause.message}` : ''}`, 200)}"`,
    );
  if (typeof record.detail === 'string') fields.push(`(${text(record.detail, 200)})`);
  return `${time} ${fn} ${text(record.message, 100).padEnd(20)} ${fields.join(' ')}`.trimEnd();
}

/** Rewrites every complete line written to `stream` through readableLine. */
export function makeLogsReadable(stream: NodeJS.WriteStream): void {
  const write = stream.write.bind(stream);
  let pending = '';
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    pending += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const readable = readableLine(line);
      if (readable !== undefined) write(`${readable}\n`);
    }
    const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof stream.write;
}
