import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from '../../../cli/args';
import { COMMANDS } from '../../../cli/main';

// Every `zego ...` command the README and docs/ show must run as written when copied: a command that
// exists, options it takes (each with its value), and on a deployed stage the region with the stage.
const root = join(__dirname, '..', '..', '..');
const pages = ['README.md', ...readdirSync(join(root, 'docs')).map((file) => join('docs', file))].filter(
  (page) => page.endsWith('.md'),
);

interface Shown {
  page: string;
  command: string;
}

/** The zego commands of a page: in fenced blocks (a line each) and in inline code spans. */
function zegoCommands(page: string): Shown[] {
  const text = readFileSync(join(root, page), 'utf8');
  // Fences may be indented, inside a list item.
  const fences = [...text.matchAll(/^[ \t]*```[a-z]*\n([\s\S]*?)^[ \t]*```/gm)];
  const blocks = fences.flatMap(([, body]) =>
    String(body)
      .replace(/\\\n\s*/g, ' ')
      .split('\n'),
  );
  const prose = fences.reduce((rest, [fence]) => rest.replace(fence, ''), text);
  const spans = [...prose.matchAll(/`([^`]+)`/g)].map(([, span]) => String(span).replace(/\s+/g, ' '));
  return [...blocks, ...spans]
    .flatMap((code) => code.split(/;|&&|\|/))
    .flatMap((code) =>
      [...code.matchAll(/(?:^|\s)zego ([a-z][a-z-]*(?: [^\s]+)*)/g)].map(([, command]) => command),
    )
    .map((command) => ({ page, command: String(command).trim() }));
}

const shown = pages.flatMap(zegoCommands);

describe('the zego commands the docs show', () => {
  it('are found (the README and docs/ show many)', () => {
    expect(shown.length).toBeGreaterThan(30);
    expect(shown.map(({ command }) => command)).toContain('doctor --stage prod --region ap-southeast-1');
  });

  it.each(shown.map(({ page, command }) => [page, command]))(
    '%s: `zego %s` names a command and options it takes',
    (_page, command) => {
      const [name = '', ...args] = command.split(' ');
      const known = COMMANDS[name];
      expect(known, `no command ${name}`).toBeDefined();
      expect(() => parse(args, known?.options ?? {}, true)).not.toThrow();
    },
  );

  it('give --region wherever they give --stage: a stage is found in its region only', () => {
    const missing = shown.filter(({ command }) => /--stage\b/.test(command) && !/--region\b/.test(command));
    expect(missing).toEqual([]);
  });
});
