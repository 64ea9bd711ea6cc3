/**
 * Cold starts: a fresh `node` process that loads a bundle and answers one event, as a cold Lambda
 * does (Lambda's own runtime start-up comes on top, alike for all). Every run measures every
 * target, in an order that rotates from run to run, so drift and neighbours weigh on all alike.
 */
import { timeProcess } from '../tools/measure';

export interface ColdTarget {
  bundle: string;
  /** A fresh event per start: an ingest event must carry a signature never used before. */
  event: () => object;
  /** Variables on top of the stack's environment. */
  env?: NodeJS.ProcessEnv;
}

export interface ColdTimes {
  /** Load the bundle and answer one event, ms. */
  invoke: number[];
  /** Load the bundle only, ms. */
  load: number[];
  /** As `invoke`, with NODE_OPTIONS=--enable-source-maps (the `nodeOptions` stage parameter). */
  invokeWithSourceMaps: number[];
}

/** Loads the bundle, answers the event, exits 0 when the answer is a success. */
const INVOKE_ONCE = `
const { handler } = require(process.env.BENCH_BUNDLE);
const context = { functionName: 'bench', awsRequestId: 'cold', getRemainingTimeInMillis: () => 30000 };
handler(JSON.parse(process.env.BENCH_EVENT), context).then((r) => {
  const ok = r.statusCode === 200 || (Array.isArray(r.batchItemFailures) && r.batchItemFailures.length === 0);
  process.exit(ok ? 0 : 1);
}, () => process.exit(2));`;

export async function measureColdStarts<Name extends string>(
  targets: Record<Name, ColdTarget>,
  env: NodeJS.ProcessEnv,
  runs: number,
): Promise<{ node: number[]; times: Record<Name, ColdTimes> }> {
  const names = Object.keys(targets) as Name[];
  const times = Object.fromEntries(
    names.map((name): [Name, ColdTimes] => [name, { invoke: [], load: [], invokeWithSourceMaps: [] }]),
  ) as Record<Name, ColdTimes>;
  const node: number[] = [];
  for (let run = 0; run < runs; run++) {
    node.push(await timeProcess(['-e', '0'], env));
    const order = [...names.slice(run % names.length), ...names.slice(0, run % names.length)];
    for (const name of order) {
      const { bundle, event, env: own = {} } = targets[name];
      const invoke = (extra: NodeJS.ProcessEnv) =>
        timeProcess(['-e', INVOKE_ONCE], {
          ...env,
          ...own,
          BENCH_BUNDLE: bundle,
          BENCH_EVENT: JSON.stringify(event()),
          ...extra,
        });
      times[name].load.push(
        await timeProcess(['-e', `require(${JSON.stringify(bundle)})`], { ...env, ...own }),
      );
      times[name].invoke.push(await invoke({}));
      times[name].invokeWithSourceMaps.push(await invoke({ NODE_OPTIONS: '--enable-source-maps' }));
    }
  }
  return { node, times };
}
