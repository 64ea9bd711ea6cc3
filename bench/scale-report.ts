/**
 * The scale benchmark's figures as markdown, and its block in BENCHMARKS.md: `npm run bench:scale
 * -- --out BENCHMARKS.md` replaces the block; `npm run bench`, which writes the rest of the file
 * from its template, keeps it as it is.
 */
import type { CheckRun } from './scale-check';

const BEGIN = '<!-- bench:scale begin -->';
const END = '<!-- bench:scale end -->';

const NOT_MEASURED = 'Not measured yet: `npm run bench:scale -- --out BENCHMARKS.md`.';

/** The block as it stands in `text` (a BENCHMARKS.md), markers included; a placeholder if none. */
export function scaleBlock(text: string): string {
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END, begin);
  if (begin < 0 || end < 0) return `${BEGIN}\n${NOT_MEASURED}\n${END}`;
  return text.slice(begin, end + END.length);
}

/** `text` with its block replaced by `figures`; a file without the block is refused. */
export function withScaleBlock(text: string, figures: string): string {
  const current = scaleBlock(text);
  if (!text.includes(current))
    throw new Error(`the file has no ${BEGIN} ... ${END} block: write it with \`npm run bench\` first`);
  return text.replace(current, `${BEGIN}\n${figures}\n${END}`);
}

export interface SizeResult {
  running: number;
  stopped: number;
  check: CheckRun;
  /** `zego tasks --status running`, in this process, on this table. */
  cli?: { firstPageMs: number; wholeMs?: number };
}

export interface CheckoutResult {
  name: string;
  memoryMb: number;
  /** The invocation's deadline: the function's timeout, or --timeout. */
  timeoutSeconds: number;
  small: SizeResult;
  large: SizeResult;
}

const count = (n: number) => n.toLocaleString('en-US');
const mb = (n: number) => `${n.toFixed(0)} MB`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Peak memory, large over small: the figure the target is set on (at most 1.3x). */
export const MEMORY_RATIO_TARGET = 1.3;

export function memoryRatio({ small, large }: CheckoutResult): number | undefined {
  const completed = [small, large].every(({ check }) => check.outcome === 'completed');
  return completed ? large.check.maxRssMb / small.check.maxRssMb : undefined;
}

function outcome({ check }: SizeResult, { memoryMb, timeoutSeconds }: CheckoutResult): string {
  if (check.outcome === 'out of memory') return `out of memory at ${memoryMb} MB`;
  if (check.outcome === 'timed out') return `timed out at ${timeoutSeconds} s`;
  if (check.outcome === 'completed') {
    const over = check.maxRssMb > memoryMb ? ` (RSS over the ${memoryMb} MB memorySize)` : '';
    return `completed${over}`;
  }
  return `${check.outcome}${check.error ? `: ${check.error.slice(0, 160)}` : ''}`;
}

function visited({ check }: SizeResult): string {
  // The check since the sharded index logs `visited`; before it, every running task was read and
  // looked at (`running` in its summary).
  const value = check.summary?.visited ?? check.summary?.running;
  return typeof value === 'number' ? count(value) : '—';
}

export function checkTable(results: CheckoutResult[]): string {
  const lines = results.flatMap((result) =>
    [result.small, result.large].map((size) => {
      const { check } = size;
      const deferred = check.metrics.CheckDeferred;
      const orphans = check.metrics.NewOrphans;
      return `| ${result.name}, ${result.memoryMb} MB, ${result.timeoutSeconds} s | ${count(size.running)} (+${count(size.stopped)}) | ${mb(check.maxRssMb)} | ${mb(check.peakHeapMb)} | ${seconds(check.invokeMs)} | ${visited(size)} | ${orphans === undefined ? '—' : count(orphans)} | ${deferred === undefined ? '—' : count(deferred)} | ${outcome(size, result)} |`;
    }),
  );
  return [
    '| code, memory, deadline | running tasks, all due (+ stopped) | peak RSS | peak heap | invocation | tasks looked at | new orphans reported | CheckDeferred | outcome |',
    '|---|---|---|---|---|---|---|---|---|',
    ...lines,
  ].join('\n');
}

export function ratioTable(results: CheckoutResult[]): string {
  const lines = results.map((result) => {
    const ratio = memoryRatio(result);
    const verdict = ratio === undefined ? 'not met' : ratio <= MEMORY_RATIO_TARGET ? 'met' : 'not met';
    const shown =
      ratio === undefined
        ? `— (${result.large.check.outcome === 'completed' ? result.small.check.outcome : result.large.check.outcome} at ${count(result.large.running)})`
        : `${ratio.toFixed(3)}x`;
    return `| ${result.name} | ${mb(result.small.check.maxRssMb)} | ${mb(result.large.check.maxRssMb)} | ${shown} | <= ${MEMORY_RATIO_TARGET.toFixed(2)}x | ${verdict} |`;
  });
  return [
    '| code | peak RSS, small | peak RSS, large | large over small | target | |',
    '|---|---|---|---|---|---|',
    ...lines,
  ].join('\n');
}

export function cliTable(results: CheckoutResult[]): string {
  const measured = results.filter((result) => result.large.cli);
  if (measured.length === 0) return '';
  const lines = measured.map(({ name, large }) => {
    const cli = large.cli as NonNullable<SizeResult['cli']>;
    return `| ${name} | ${seconds(cli.firstPageMs)} | ${cli.wholeMs === undefined ? 'no `--limit`: the first page is all of them' : seconds(cli.wholeMs)} |`;
  });
  const { running, stopped } = measured[0]?.large ?? { running: 0, stopped: 0 };
  return [
    `| \`zego tasks --status running\`, ${count(running)} running (+${count(stopped)} stopped) | first page (200 tasks) | every running task (\`--limit 0\`) |`,
    '|---|---|---|',
    ...lines,
  ].join('\n');
}
