/** Small measuring helpers, for the benchmark and the load run. */
import { spawn } from 'node:child_process';

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/**
 * Wall time of a fresh `node` process, in ms; rejects if it fails. Asynchronous, so engines
 * running in this process keep answering the child.
 */
export function timeProcess(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code === 0) resolve(ms);
      else reject(new Error(`node ${args.join(' ')} exited with ${code}: ${output.slice(0, 2000)}`));
    });
  });
}

/** Runs `task` `total` times with `concurrency` in flight; returns operations per second. */
async function throughput(
  total: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await task(next++);
    }),
  );
  return total / ((performance.now() - started) / 1000);
}

/**
 * Rates of several workloads measured in alternating rounds (a, b, c, a, b, c, ...), so that
 * whatever drifts during the run (a growing queue, a warming JIT, a neighbour's load) weighs on
 * all alike. A first round of each is run and not counted: whatever ran first would otherwise pay
 * for warming the engines and the JIT alone (four identical loops of conditional puts: the first
 * ran ~20% slower than the other three). Each task is called with a running index over every round,
 * the first included: (rounds + 1) x perRound calls in all. Returns operations per second of each.
 */
export async function interleavedRates(
  rounds: number,
  perRound: number,
  concurrency: number,
  tasks: ((i: number) => Promise<void>)[],
): Promise<number[]> {
  const seconds = tasks.map(() => 0);
  for (let round = 0; round <= rounds; round++) {
    const offset = round * perRound;
    for (const [index, task] of tasks.entries()) {
      const rate = await throughput(perRound, concurrency, (i) => task(offset + i));
      if (round > 0) seconds[index] = (seconds[index] ?? 0) + perRound / rate;
    }
  }
  return seconds.map((total) => (rounds * perRound) / total);
}

/** Quiet while measuring: the functions' log and metric lines are formatted, not written. */
export async function quietly<T>(work: () => Promise<T>): Promise<T> {
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    return await work();
  } finally {
    process.stdout.write = write;
  }
}
