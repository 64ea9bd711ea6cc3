/**
 * The benchmark's figures as a table: each measure against its floor, measured in the same run,
 * the ratio, the target and whether it is met. BENCHMARKS.template.md holds the prose around it.
 */

import { median } from '../tools/measure';
import { BUNDLE_PARTS, type BundleParts, type Size } from './bundles';
import type { ColdTimes } from './cold-starts';
import type { DecodeCost } from './decode-cost';
import type { DynamoOperations } from './dynamodb-operations';
import type { Latency } from './ingest-latency';
import type { ConsumerRates, IngestRates } from './throughput';

/** DynamoDB on-demand, us-east-1, per million write request units (README, "Cost"). */
const WRITE_UNIT_PRICE_PER_MILLION = 0.625;

export interface Results {
  runs: number;
  requests: number;
  concurrency: number;
  sizes: Record<
    | 'ingest'
    | 'consumer'
    | 'sendMessage'
    | 'bindAndSend'
    | 'deployedIngest'
    | 'bareConsumer'
    | 'idempotentConsumer',
    Size
  >;
  cold: {
    node: number[];
    times: Record<
      | 'ingest'
      | 'ingestDeployed'
      | 'consumer'
      | 'sendMessage'
      | 'bindAndSend'
      | 'deployedIngestFloor'
      | 'bareConsumer'
      | 'idempotentConsumer',
      ColdTimes
    >;
  };
  ingest: IngestRates;
  consumer: ConsumerRates;
  latency: { withBinding: Latency; withoutBinding: Latency };
  operations: DynamoOperations;
  /** Each bundle by part, with the label it is shown under, in the order shown. */
  parts: { label: string; parts: BundleParts; total: number }[];
  decodeCost: DecodeCost;
}

/** One unauthenticated request may cost at most this many genuine callbacks' decodes. */
const DECODE_COST_TARGET = 20;

/** A ratio's bound: at most (bundle, cold start) or at least (throughput). */
interface Target {
  bound: number;
  atMost: boolean;
}

interface Row {
  measure: string;
  ours: string;
  floor: string;
  ratio?: number;
  target?: Target;
  /** For a target: the same ratio for the floor that makes only the calls the guarantees require. */
  least?: { floor: string; ratio: number };
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
const size = ({ bytes, gzip }: Size) => `${kb(bytes)} (${kb(gzip)} gzip)`;
const ms = (values: number[]) => `${median(values).toFixed(0)} ms`;
const rate = (perSecond: number) => `${perSecond.toFixed(0)}/s`;
const times = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2));

export function rows(r: Results): Row[] {
  const cold = (name: keyof Results['cold']['times']) => r.cold.times[name].invoke;
  const coldRatio = (a: keyof Results['cold']['times'], b: keyof Results['cold']['times']) =>
    median(cold(a)) / median(cold(b));
  const writes = r.operations.consumer.totalWrites;
  return [
    {
      measure: 'ingest bundle (minified)',
      ours: size(r.sizes.ingest),
      floor: `${size(r.sizes.sendMessage)}: bare SendMessage handler`,
      ratio: r.sizes.ingest.bytes / r.sizes.sendMessage.bytes,
      target: { bound: 1.25, atMost: true },
      least: {
        floor: 'SSM GetParameter + PutItem + SendMessage, against the SendMessage floor',
        ratio: r.sizes.deployedIngest.bytes / r.sizes.sendMessage.bytes,
      },
    },
    {
      measure: 'ingest bundle, against the floor that binds too',
      ours: kb(r.sizes.ingest.bytes),
      floor: `${size(r.sizes.bindAndSend)}: bare PutItem + SendMessage handler`,
      ratio: r.sizes.ingest.bytes / r.sizes.bindAndSend.bytes,
    },
    {
      measure: 'the binding alone: the floor that binds, against the SendMessage floor',
      ours: kb(r.sizes.bindAndSend.bytes),
      floor: kb(r.sizes.sendMessage.bytes),
      ratio: r.sizes.bindAndSend.bytes / r.sizes.sendMessage.bytes,
    },
    {
      measure: 'ingest bundle, against the floor that reads its secret from SSM too (as deployed)',
      ours: kb(r.sizes.ingest.bytes),
      floor: `${size(r.sizes.deployedIngest)}: SSM GetParameter once, then PutItem + SendMessage`,
      ratio: r.sizes.ingest.bytes / r.sizes.deployedIngest.bytes,
    },
    {
      measure: 'consumer bundle (minified)',
      ours: size(r.sizes.consumer),
      floor: `${size(r.sizes.bareConsumer)}: bare consumer`,
      ratio: r.sizes.consumer.bytes / r.sizes.bareConsumer.bytes,
    },
    {
      measure: `ingest cold start: load + answer one event, median of ${r.runs}`,
      ours: ms(cold('ingest')),
      floor: `${ms(cold('sendMessage'))}: bare SendMessage handler`,
      ratio: coldRatio('ingest', 'sendMessage'),
      target: { bound: 1.1, atMost: true },
      least: {
        floor: 'PutItem + SendMessage, against the SendMessage floor (the secret in the environment)',
        ratio: coldRatio('bindAndSend', 'sendMessage'),
      },
    },
    {
      measure: 'ingest cold start, against the floor that binds too',
      ours: ms(cold('ingest')),
      floor: `${ms(cold('bindAndSend'))}: bare PutItem + SendMessage handler`,
      ratio: coldRatio('ingest', 'bindAndSend'),
    },
    {
      measure: 'the binding alone: the floor that binds, against the SendMessage floor',
      ours: ms(cold('bindAndSend')),
      floor: ms(cold('sendMessage')),
      ratio: coldRatio('bindAndSend', 'sendMessage'),
    },
    {
      measure: 'ingest cold start, its secret read from SSM on the first request, as deployed',
      ours: ms(cold('ingestDeployed')),
      floor: `${ms(cold('ingest'))}: ingest, its secret in the environment (above)`,
      ratio: coldRatio('ingestDeployed', 'ingest'),
    },
    {
      measure: 'ingest cold start as deployed, against the floor that reads its secret from SSM too',
      ours: ms(cold('ingestDeployed')),
      floor: `${ms(cold('deployedIngestFloor'))}: SSM GetParameter, then PutItem + SendMessage`,
      ratio: coldRatio('ingestDeployed', 'deployedIngestFloor'),
    },
    {
      measure: `consumer cold start: load + answer a batch of one, median of ${r.runs}`,
      ours: ms(cold('consumer')),
      floor: `${ms(cold('bareConsumer'))}: bare consumer`,
      ratio: coldRatio('consumer', 'bareConsumer'),
      target: { bound: 1.25, atMost: true },
      least: {
        floor: 'claim, task, completion, against the bare consumer',
        ratio: coldRatio('idempotentConsumer', 'bareConsumer'),
      },
    },
    {
      measure: 'consumer cold start, against the floor that writes the idempotency record too',
      ours: ms(cold('consumer')),
      floor: `${ms(cold('idempotentConsumer'))}: claim, task, completion (3 writes)`,
      ratio: coldRatio('consumer', 'idempotentConsumer'),
    },
    {
      measure: 'the idempotency record alone: the floor that writes it, against the bare consumer',
      ours: ms(cold('idempotentConsumer')),
      floor: ms(cold('bareConsumer')),
      ratio: coldRatio('idempotentConsumer', 'bareConsumer'),
    },
    {
      measure: `ingest throughput, ${r.requests} callbacks, ${r.concurrency} in flight`,
      ours: rate(r.ingest.ingest),
      floor: `${rate(r.ingest.rawSend)}: raw SendMessage`,
      ratio: r.ingest.ingest / r.ingest.rawSend,
      target: { bound: 0.85, atMost: false },
      least: {
        floor: 'raw PutItem + SendMessage, against raw SendMessage',
        ratio: r.ingest.rawBindAndSend / r.ingest.rawSend,
      },
    },
    {
      measure: 'ingest throughput, against the floor that binds too',
      ours: rate(r.ingest.ingest),
      floor: `${rate(r.ingest.rawBindAndSend)}: raw PutItem + SendMessage`,
      ratio: r.ingest.ingest / r.ingest.rawBindAndSend,
    },
    {
      measure: 'the binding alone: raw PutItem + SendMessage, against raw SendMessage',
      ours: rate(r.ingest.rawBindAndSend),
      floor: rate(r.ingest.rawSend),
      ratio: r.ingest.rawBindAndSend / r.ingest.rawSend,
    },
    {
      measure: `consumer throughput, ${r.requests} callbacks in batches of 10, one instance`,
      ours: `${rate(r.consumer.consumer)} (${times(writes)} writes a callback)`,
      floor: `${rate(r.consumer.rawPut)}: raw conditional puts, one at a time (1 write)`,
      ratio: r.consumer.consumer / r.consumer.rawPut,
      target: { bound: 0.55, atMost: false },
      least: {
        floor: 'claim, task, completion (batches of 10), against raw conditional puts',
        ratio: r.consumer.idempotentConsumer / r.consumer.rawPut,
      },
    },
    {
      measure: 'consumer throughput, against the bare consumer (same batching)',
      ours: rate(r.consumer.consumer),
      floor: `${rate(r.consumer.bareConsumer)}: bare consumer (1 write a callback)`,
      ratio: r.consumer.consumer / r.consumer.bareConsumer,
    },
    {
      measure: 'consumer throughput, against the floor that writes the idempotency record too',
      ours: rate(r.consumer.consumer),
      floor: `${rate(r.consumer.idempotentConsumer)}: claim, task, completion (3 writes a callback)`,
      ratio: r.consumer.consumer / r.consumer.idempotentConsumer,
    },
    {
      measure: 'the idempotency record alone: the floor that writes it, against raw conditional puts',
      ours: rate(r.consumer.idempotentConsumer),
      floor: rate(r.consumer.rawPut),
      ratio: r.consumer.idempotentConsumer / r.consumer.rawPut,
    },
    {
      measure: `ingest latency, one at a time, p50 / p99 (${r.requests / 2} callbacks each)`,
      ours: `${r.latency.withBinding.p50.toFixed(2)} / ${r.latency.withBinding.p99.toFixed(2)} ms with the binding`,
      floor: `${r.latency.withoutBinding.p50.toFixed(2)} / ${r.latency.withoutBinding.p99.toFixed(2)} ms without it`,
      ratio: r.latency.withBinding.p50 / r.latency.withoutBinding.p50,
    },
  ];
}

/**
 * Each target against the least the guarantees allow: the same ratio for the floor that makes the
 * calls they require (the binding, the SSM read, the idempotency record's writes) and nothing
 * else. A target that floor misses cannot be met while the guarantees stand.
 */
export function guaranteeTable(r: Results): string {
  const targets = rows(r).filter((row) => row.target !== undefined);
  const lines = targets.map((row) => {
    if (!row.least) throw new Error(`the target "${row.measure}" has no least-the-guarantees-allow floor`);
    const { floor, ratio } = row.least;
    const verdict = met(row)
      ? 'met'
      : reachable(row)
        ? 'not met; the guarantees leave room'
        : 'out of reach while the guarantees stand';
    return `| ${row.measure} | ${shownBound(row.target as Target)} | ${(row.ratio as number).toFixed(3)}x | ${floor}: ${ratio.toFixed(3)}x | ${verdict} |`;
  });
  return [
    '| target | bound | this project | the least the guarantees allow | verdict |',
    '|---|---|---|---|---|',
    ...lines,
  ].join('\n');
}

/** Whether the floor that makes only the guarantees' calls meets the row's target. */
export function reachable({ least, target }: Row): boolean | undefined {
  if (least === undefined || target === undefined) return undefined;
  return within(least.ratio, target);
}

export function met({ ratio, target }: Row): boolean | undefined {
  if (ratio === undefined || target === undefined) return undefined;
  return within(ratio, target);
}

function within(ratio: number, { bound, atMost }: Target): boolean {
  return atMost ? ratio <= bound : ratio >= bound;
}

function shownBound({ bound, atMost }: Target): string {
  return `${atMost ? '<=' : '>='} ${bound.toFixed(2)}x`;
}

export function table(all: Row[]): string {
  const lines = all.map((row) => {
    const status = met(row);
    const target = row.target ? shownBound(row.target) : '';
    // A ratio judged against a target gets a third decimal, so one just under the bound reads as under it.
    const ratio = row.ratio === undefined ? '' : `${row.ratio.toFixed(row.target ? 3 : 2)}x`;
    const verdict = status === undefined ? '' : status ? 'met' : 'not met';
    return `| ${row.measure} | ${row.ours} | ${row.floor} | ${ratio} | ${target} | ${verdict} |`;
  });
  return [
    '| measure | this project | floor, same run | ratio | target | |',
    '|---|---|---|---|---|---|',
    ...lines,
  ].join('\n');
}

/** Load only, load and answer, and with source maps, for each bundle; `node -e 0` for scale. */
export function coldStartDetail(r: Results): string {
  const names: [keyof Results['cold']['times'], string][] = [
    ['ingest', 'ingest'],
    ['ingestDeployed', 'ingest, secret from SSM (a loopback stand-in)'],
    ['deployedIngestFloor', 'bare SSM GetParameter + PutItem + SendMessage handler'],
    ['bindAndSend', 'bare PutItem + SendMessage handler'],
    ['sendMessage', 'bare SendMessage handler'],
    ['consumer', 'consumer'],
    ['idempotentConsumer', 'bare consumer with the idempotency record (3 writes)'],
    ['bareConsumer', 'bare consumer'],
  ];
  const lines = names.map(([name, label]) => {
    const t = r.cold.times[name];
    return `| ${label} | ${ms(t.load)} | ${ms(t.invoke)} | ${ms(t.invokeWithSourceMaps)} |`;
  });
  return [
    `| bundle (median of ${r.runs}; \`node -e 0\`: ${ms(r.cold.node)}) | load only | load + answer | load + answer, \`--enable-source-maps\` |`,
    '|---|---|---|---|',
    ...lines,
  ].join('\n');
}

/**
 * What each bundle is made of, in KB of minified output: where the bytes beyond a floor come from.
 * A part no bundle has gets no column.
 */
export function bundlePartsTable({ parts }: Results): string {
  const shown = BUNDLE_PARTS.filter((part) => parts.some(({ parts: bytes }) => bytes[part] > 0));
  const lines = parts.map(
    ({ label, parts: bytes, total }) =>
      `| ${label} | ${shown.map((part) => (bytes[part] ? kb(bytes[part]) : '')).join(' | ')} | ${kb(total)} |`,
  );
  return [
    `| bundle | ${shown.join(' | ')} | total |`,
    `|---|${shown.map(() => '---|').join('')}---|`,
    ...lines,
  ].join('\n');
}

/** DynamoDB requests per callback as counted, and what the writes cost per million callbacks. */
export function operationsTable({ operations }: Results): string {
  type Side = DynamoOperations['ingest'];
  const list = (counts: Record<string, number>) =>
    Object.entries(counts)
      .map(([operation, n]) => `${times(n)} ${operation}`)
      .join(', ') || 'none';
  const cost = (units: number) => `$${(units * WRITE_UNIT_PRICE_PER_MILLION).toFixed(2)}`;
  const units = (o: Side) =>
    `${times(o.writeUnits)}${o.indexWriteUnits > 0 ? ` (${times(o.indexWriteUnits)} of them the index's)` : ''}`;
  const line = (name: string, o: Side) =>
    `| ${name} | ${list(o.writes)} | ${list(o.reads)} | ${units(o)} | ${cost(o.writeUnits)} |`;
  const both = (a: Side, b: Side) => {
    const total = a.writeUnits + b.writeUnits;
    return `| both | ${times(a.totalWrites + b.totalWrites)} writes | | ${times(total)} | ${cost(total)} |`;
  };
  return [
    `| per callback (${operations.callbacks} callbacks: the start and stop of each task) | write requests | read requests | write units | their cost per million callbacks |`,
    '|---|---|---|---|---|',
    line('ingest: the signature binding', operations.ingest),
    line('consumer: idempotency claim and completion, the task', operations.consumer),
    both(operations.ingest, operations.consumer),
    line('the same callback again, ingest (ZEGO retries)', operations.ingestAgain),
    line('the same callback again, consumer (a redelivery)', operations.consumerAgain),
  ].join('\n');
}

/**
 * Decoding each body, in CPU microseconds and against the cheapest genuine callback's decode, then
 * the worst ratio against its target.
 */
export function decodeCostTable({ limitBytes, genuine, hostile }: DecodeCost): string {
  const cell = (text: string) => text.replaceAll('|', '\\|');
  const line = (row: DecodeCost['genuine'][number]) =>
    `| ${cell(row.body)} | ${row.bytes} | ${cell(row.outcome)} | ${row.microseconds.toFixed(1)} | ${row.ratio.toFixed(1)}x |`;
  const worst = hostile.reduce((a, b) => (b.ratio > a.ratio ? b : a));
  const verdict = worst.ratio <= DECODE_COST_TARGET ? 'met' : 'not met';
  return [
    `| body (size limit ${limitBytes} bytes) | bytes | outcome | CPU µs per body | against genuine |`,
    '|---|---|---|---|---|',
    ...genuine.map(line),
    ...hostile.map(line),
    '',
    `Worst: ${worst.ratio.toFixed(1)}x (${worst.body}); target <= ${DECODE_COST_TARGET}x: ${verdict}.`,
  ].join('\n');
}

/** Fills each `{{name}}` of the template; a name without a value, or a value never used, is an error. */
export function fill(template: string, values: Record<string, string>): string {
  const used = new Set<string>();
  const text = template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined)
      throw new Error(`the template names {{${name}}}, which the benchmark does not fill`);
    used.add(name);
    return value;
  });
  const unused = Object.keys(values).filter((name) => !used.has(name));
  if (unused.length > 0) throw new Error(`the template lacks {{${unused.join('}}, {{')}}}`);
  return text;
}
