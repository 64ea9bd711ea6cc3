import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { loadOrphansConfig } from '../lib/config';
import { hooks } from '../lib/hooks';
import { createMetrics } from '../lib/metrics';
import { detectOrphans } from '../lib/orphans/detect-orphans';

const config = loadOrphansConfig();
const logger = new Logger({ serviceName: 'zego-mix-callbacks', persistentKeys: { function: 'orphans' } });
const metrics = createMetrics('orphans');

/**
 * Runs every orphanCheckMinutes (serverless.yml): reports mixes that have run too long with no stop.
 * A run that throws is not retried by Lambda (maximumRetryAttempts: 0): the next scheduled run is
 * the retry, the Errors alarm reports the failure, and the heartbeat alarm a check that keeps failing.
 */
export const handler = middy()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler(async () => {
    await detectOrphans({
      tableName: config.TASKS_TABLE,
      maxAgeSeconds: config.ORPHAN_AFTER_MINUTES * 60,
      hooks,
      logger,
      metrics,
    });
  });
