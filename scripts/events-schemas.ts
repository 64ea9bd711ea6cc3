/**
 * `npm run events:schemas`: writes the JSON Schema of each run event's detail to docs/events/,
 * from the zod schemas in lib/events/event-detail.ts, in Biome's format (`npm run lint` checks
 * them). test/unit/events/json-schemas.test.ts fails when the checked-in files say anything else.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventSchemaFiles, SCHEMAS_DIR } from '../tools/events/json-schemas';

const root = join(__dirname, '..');
const written = Object.entries(eventSchemaFiles()).map(([name, text]) => {
  writeFileSync(join(root, SCHEMAS_DIR, name), text);
  return join(SCHEMAS_DIR, name);
});
execFileSync(join(root, 'node_modules', '.bin', 'biome'), ['format', '--write', ...written], { cwd: root });
for (const file of written) console.log(`wrote ${file}`);
