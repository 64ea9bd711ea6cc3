import { loadOrphansConfig } from '../lib/config';
import { hooks } from '../lib/hooks';
import { createOrphansHandler } from '../lib/orphans/orphans-handler';

export const handler = createOrphansHandler({ config: loadOrphansConfig(), hooks });
