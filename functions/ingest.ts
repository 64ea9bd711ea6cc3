import { loadIngestConfig } from '../lib/config';
import { createIngestHandler } from '../lib/ingest/ingest-handler';

export const handler = createIngestHandler({ config: loadIngestConfig() });
