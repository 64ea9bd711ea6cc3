/**
 * Turns the handlers' JSON log lines (Powertools Logger) into one readable line each, for a person
 * watching `npm start`. Anything else written is passed through unchanged.
 */
const SHOWN = ['appid', 'event', 'seq', 'task_id', 'reason', 'status', 'taskStatus', 'receiveCount'] as const;

export function readableLine(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line);
  } catch {
    return line;
  }
  if (typeof record !== 'object' || record === null || !('message' in record) || !('level' in record))
    return line;
  const time = typeof record.timestamp === 'string' ? record.timestamp.slice(11, 19) : '';
  const fn = String(record.function ?? '').padEnd(8);
  const fields = SHOWN.filter((key) => record[key] !== undefined).map((key) => `${key}=${record[key]}`);
  if (typeof record.latencyMs === 'number') fields.push(`${record.latencyMs}ms`);
  const error = record.error as { message?: string; cause?: { message?: string } } | undefined;
  if (error?.message)
    fields.push(`error="${error.message}${error.cause?.message ? `: ${error.cause.message}` : ''}"`);
  if (typeof record.detail === 'string') fields.push(`(${record.detail})`);
  return `${time} ${fn} ${String(record.message).padEnd(20)} ${fields.join(' ')}`.trimEnd();
}

/** Rewrites every complete line written to `stream` through readableLine. */
export function makeLogsReadable(stream: NodeJS.WriteStream): void {
  const write = stream.write.bind(stream);
  let pending = '';
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    pending += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) write(`${readableLine(line)}\n`);
    const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof stream.write;
}
