import { createCheckHandler } from '../lib/check/check-handler';
import { loadOrphansConfig } from '../lib/config';
import { hooks } from '../lib/hooks';

export const handler = createCheckHandler({ config: loadOrphansConfig(), hooks });
