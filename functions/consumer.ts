import { loadConsumerConfig } from '../lib/config';
import { hooks } from '../lib/hooks';
import { createConsumerHandler } from '../lib/process/consumer-handler';

export const handler = createConsumerHandler({ config: loadConsumerConfig(), hooks });
