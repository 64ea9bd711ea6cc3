import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventSchemaFiles, SCHEMAS_DIR } from '../../../tools/events/json-schemas';

const dir = join(__dirname, '..', '..', '..', SCHEMAS_DIR);
const checkedIn = () =>
  Object.fromEntries(
    readdirSync(dir)
      .filter((name) => name.endsWith('.schema.json'))
      .map((name) => [name, JSON.parse(readFileSync(join(dir, name), 'utf8'))]),
  );

describe('the JSON Schema files of the run events (docs/events/)', () => {
  it('are what `npm run events:schemas` generates from lib/events/event-detail.ts, one per detail-type', () => {
    const generated = Object.fromEntries(
      Object.entries(eventSchemaFiles()).map(([name, text]) => [name, JSON.parse(text)]),
    );
    expect(Object.keys(generated).sort()).toEqual([
      'mix-orphaned.schema.json',
      'mix-started.schema.json',
      'mix-stopped.schema.json',
      'mix-updated.schema.json',
    ]);
    expect(checkedIn()).toEqual(generated);
  });
});
