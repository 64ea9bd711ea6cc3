import { describe, expect, it } from 'vitest';
import { printable } from '../../../lib/text/printable';

describe('printable', () => {
  it('keeps text of exactly the maximum whole, and cuts longer text with an ellipsis', () => {
    expect(printable('abcde', 5)).toBe('abcde');
    expect(printable('abcdef', 5)).toBe('abcde…');
    expect(printable('x'.repeat(101))).toBe(`${'x'.repeat(100)}…`);
  });

  it('escapes what could move a cursor or reorder text, and counts the escapes toward the maximum', () => {
    expect(printable('a\u001b[2Jb\u202ec\ud800')).toBe('a\\u001b[2Jb\\u202ec\\ud800');
    expect(printable('\u0000\u0000', 8)).toBe('\\u0000\\u…');
  });

  it('keeps surrogate pairs (emoji) and ordinary text outside ASCII', () => {
    expect(printable('🎥 中文')).toBe('🎥 中文');
  });
});
