import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNpmStart } from '../support/npm-start';

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

let npmStart: Awaited<ReturnType<typeof startNpmStart>>;
beforeAll(async () => {
  npmStart = await startNpmStart([], {
    ZEGO_CALLBACK_SECRET: undefined, // unset, as in a new user's shell
    PORT: '0',
    SQS_PORT: '0',
    DYNAMODB_PORT: '0',
    ZEGO_API_PORT: '0',
  });
}, 60_000);
afterAll(() => npmStart?.kill());

/** What `npx zego <args>` prints on stdout, whatever its exit code (a 401 exits 1). */
const printed = (args: string[]) =>
  npmStart.zego(...args).then(
    ({ stdout }) => stdout.trim(),
    (failed: { stdout: string }) => failed.stdout.trim(),
  );

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
    const bannerShown = banner.slice(
      banner.indexOf('ZEGO mix callbacks, running locally'),
      banner.indexOf('Ctrl-C stops everything.') + 24,
    );
    expect(bannerShown.trim()).toMatch(shapeOf(start?.shown ?? ''));

    for (const { command, shown } of rest) {
      const args = command.replace(/^npx zego /, '').split(' ');
      const shape = shapeOf(shown);
      // Reads of a task (and of its events) may have to wait for the consumer, or for the scheduled
      // check to reconcile.
      const read = ['task', 'tasks', 'events'].includes(args[0] ?? '');
      if (read) await expect.poll(() => printed(args), { timeout: 40_000, interval: 500 }).toMatch(shape);
      else expect(await printed(args)).toMatch(shape);
    }
  }, 120_000);
});
