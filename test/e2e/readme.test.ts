import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NpmStart, startNpmStart } from '../support/npm-start';

// The README's tour, as written: every command of it is run against a real `npm start`, in order,
// and what it prints must have the shape the README shows: digits may differ (ports, seqs, times,
// durations) and "…" stands for anything. So the README cannot drift from what the tools print.
const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
const tour = readme.slice(readme.indexOf('<!-- tour:start'), readme.indexOf('<!-- tour:end -->'));

interface Step {
  command: string;
  shown: string;
}

/** Each ```sh block of the tour with the ```text block after it. */
function steps(markdown: string): Step[] {
  return [...markdown.matchAll(/```sh\n([^\n]+)\n```\s*```text\n([\s\S]*?)```/g)].map(
    ([, command, shown]) => ({
      command: String(command).trim(),
      shown: String(shown).trim(),
    }),
  );
}

/** What a README output block stands for: digits are any digits, "…" anything; lines as written. */
function shapeOf(shown: string): RegExp {
  const pattern = shown
    .split('…')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\d+/g, '\\d+'))
    .join('.*?');
  return new RegExp(`^${pattern}$`);
}

let npmStart: NpmStart;
beforeAll(async () => {
  npmStart = await startNpmStart();
}, 60_000);
afterAll(() => npmStart?.stop());

describe('the README tour', () => {
  it('has commands with the output they print', () => {
    const all = steps(tour);
    expect(all.length).toBeGreaterThanOrEqual(8);
    expect(all[0]?.command).toBe('npm start');
    expect(all.slice(1).every((step) => step.command.startsWith('npx zego '))).toBe(true);
  });

  it('prints, command by command, what the README shows', async () => {
    const [start, ...rest] = steps(tour);
    const banner = npmStart.output();
    const printed = banner.slice(
      banner.indexOf('ZEGO mix callbacks, running locally'),
      banner.indexOf('Ctrl-C stops everything.') + 24,
    );
    expect(printed.trim()).toMatch(shapeOf(start?.shown ?? ''));

    for (const { command, shown } of rest) {
      const args = command.replace(/^npx zego /, '').split(' ');
      const shape = shapeOf(shown);
      // Reads of a task may have to wait for the consumer, or for the scheduled check to reconcile.
      const read = ['task', 'tasks'].includes(args[0] ?? '');
      await expect
        .poll(async () => (await npmStart.zego(...args)).stdout.trim(), {
          timeout: read ? 40_000 : 1,
          interval: 500,
        })
        .toMatch(shape);
    }
  }, 120_000);
});
