import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { entrySize, MAX_ENTRY_BYTES } from '../../lib/events/publish';
import { printable } from '../../lib/text/printable';

/** An event the stand-in took, as a rule's target would get it (less account and region). */
export interface BusEvent {
  id: string;
  time: string;
  'event-bus': string;
  source: string;
  'detail-type': string;
  detail: Record<string, unknown>;
}

export interface LocalEventBus {
  /** The bus's name: PutEvents to another name (or ARN of another bus) is refused. */
  name: string;
  /** Where an EventBridge client sends PutEvents (its `endpoint`), and `GET /events` lists them. */
  url: string;
  /** The events taken so far (the latest 10,000), oldest first. */
  events(): BusEvent[];
  /** The next `count` entries fail as PutEvents fails an entry (200, FailedEntryCount), with this code. */
  refuseNext(count: number, errorCode?: string): void;
  /** Entries refused so far, whatever the reason. */
  refused(): number;
  stop(): Promise<void>;
}

export interface LocalEventBusOptions {
  name: string;
  port?: number;
  /** Called with each event taken (npm start prints it). */
  onEvent?: (event: BusEvent) => void;
}

/** Events kept for `zego events`: the latest, so a long `npm start` (or `npm run load`) stays small. */
const KEPT = 10_000;

/** PutEvents takes 1 to 10 entries per call. */
const MAX_ENTRIES = 10;

interface Entry {
  Source?: unknown;
  DetailType?: unknown;
  Detail?: unknown;
  EventBusName?: unknown;
  Resources?: unknown;
  Time?: unknown;
}

type EntryResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

/**
 * A local stand-in of an EventBridge bus: an HTTP server speaking PutEvents' JSON protocol
 * (`X-Amz-Target: AWSEvents.PutEvents`, `application/x-amz-json-1.1`), so the real SDK client talks
 * to it. It checks what PutEvents checks and answers as PutEvents does: a request of more than 10
 * entries, or past 256 KB, or for another bus is refused whole (400); an entry without Source,
 * DetailType or Detail, with a Detail that is not a JSON object, or with an `aws.` source fails on
 * its own (200, FailedEntryCount, its ErrorCode and ErrorMessage). It keeps the latest 10,000 events
 * it takes and lists them at `GET /events[?task=ID]` (`zego events`).
 */
export async function startLocalEventBus({
  name,
  port = 0,
  onEvent,
}: LocalEventBusOptions): Promise<LocalEventBus> {
  const taken: BusEvent[] = [];
  let refusals = { count: 0, code: 'InternalFailure' };
  let refusedEntries = 0;

  const putEvents = (body: { Entries?: unknown }): { status: number; answer: unknown } => {
    const entries = body.Entries;
    if (!Array.isArray(entries) || entries.length < 1 || entries.length > MAX_ENTRIES) {
      return validation(
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${MAX_ENTRIES}`,
      );
    }
    const size = (entries as Entry[]).reduce((sum, entry) => sum + sizeOf(entry), 0);
    if (size > MAX_ENTRY_BYTES)
      return validation('Total size of the entries in the request is over the limit.');
    for (const entry of entries as Entry[]) {
      const bus = entry.EventBusName ?? 'default';
      if (bus !== name && !(typeof bus === 'string' && bus.endsWith(`:event-bus/${name}`))) {
        return {
          status: 400,
          answer: {
            __type: 'ResourceNotFoundException',
            message: `Event bus ${String(bus)} does not exist.`,
          },
        };
      }
    }
    const results: EntryResult[] = (entries as Entry[]).map((entry) => {
      const problem = entryProblem(entry);
      if (problem) return problem;
      if (refusals.count > 0) {
        refusals = { ...refusals, count: refusals.count - 1 };
        return { ErrorCode: refusals.code, ErrorMessage: 'refused by the local stand-in (refuseNext)' };
      }
      const event: BusEvent = {
        id: randomUUID(),
        time: new Date().toISOString(),
        'event-bus': name,
        source: entry.Source as string,
        'detail-type': entry.DetailType as string,
        detail: JSON.parse(entry.Detail as string),
      };
      taken.push(event);
      if (taken.length > KEPT) taken.shift();
      onEvent?.(event);
      return { EventId: event.id };
    });
    const failed = results.filter((result) => 'ErrorCode' in result).length;
    refusedEntries += failed;
    return { status: 200, answer: { FailedEntryCount: failed, Entries: results } };
  };

  const server = createServer(async (request, response) => {
    const reply = (status: number, answer: unknown, type = 'application/x-amz-json-1.1') =>
      response.writeHead(status, { 'content-type': type }).end(JSON.stringify(answer));
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (request.method === 'GET' && url.pathname === '/events') {
      const task = url.searchParams.get('task');
      return reply(
        200,
        task === null ? taken : taken.filter((e) => e.detail.task_id === task),
        'application/json',
      );
    }
    const target = request.headers['x-amz-target'];
    if (request.method !== 'POST' || target !== 'AWSEvents.PutEvents') {
      return reply(400, {
        __type: 'UnknownOperationException',
        message: `not served here: ${String(target)}`,
      });
    }
    let body: { Entries?: unknown };
    try {
      body = JSON.parse(await readBody(request));
    } catch {
      return reply(400, { __type: 'SerializationException', message: 'the body is not JSON' });
    }
    const { status, answer } = putEvents(body);
    reply(status, answer);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    name,
    url: `http://127.0.0.1:${bound}`,
    events: () => [...taken],
    refuseNext: (count, code = 'InternalFailure') => {
      refusals = { count, code };
    },
    refused: () => refusedEntries,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        // Clients keep connections alive: close them, or close() would wait for them.
        server.closeAllConnections();
      }),
  };
}

const validation = (message: string) => ({ status: 400, answer: { __type: 'ValidationException', message } });

/** The entry's size as PutEvents counts it (lib/events/publish.ts), whatever the types sent. */
function sizeOf(entry: Entry): number {
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return entrySize({
    Source: text(entry.Source),
    DetailType: text(entry.DetailType),
    Detail: text(entry.Detail),
    Resources: Array.isArray(entry.Resources) ? entry.Resources.map(String) : undefined,
    Time: entry.Time === undefined ? undefined : new Date(0),
  });
}

/** What PutEvents says of an entry it does not take; undefined when it takes it. */
function entryProblem(entry: Entry): EntryResult | undefined {
  for (const field of ['Source', 'DetailType', 'Detail'] as const) {
    if (typeof entry[field] !== 'string' || entry[field] === '') {
      return {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: `Parameter ${field} is not valid. Reason: ${field} is a required argument.`,
      };
    }
  }
  if ((entry.Source as string).startsWith('aws.')) {
    return { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' };
  }
  let detail: unknown;
  try {
    detail = JSON.parse(entry.Detail as string);
  } catch {
    detail = undefined;
  }
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
    return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  }
  return undefined;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * One line for a person watching `npm start`: the time, the detail-type, the task and the event's
 * ids. Values come from callbacks, so each is escaped (lib/text/printable.ts).
 */
export function readableEvent(event: BusEvent): string {
  const text = (value: unknown) => printable(String(value), 120);
  const { detail } = event;
  const fields = [
    `appid=${text(detail.appid)}`,
    `task_id=${text(detail.task_id)}`,
    `runId=${text(detail.runId)}`,
    `eventId=${text(detail.eventId)}`,
    ...(detail.inferred === true ? ['inferred=true'] : []),
  ];
  return `${event.time.slice(11, 19)} bus      ${text(event['detail-type']).padEnd(20)} ${fields.join(' ')}`;
}
