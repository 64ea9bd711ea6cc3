// The least a deployed ingest can be: what bind-and-send.ts does, after reading the callback secret
// from its SSM SecureString once per cold start (ZEGO_CALLBACK_SECRET_PARAM), as a deployed stage
// must. Ingest's SSM client (lib/zego/ssm-client.ts), without Powertools' cache layer.
// Bundled like the real functions; the gap to bind-and-send.ts is what keeping the secret in SSM costs.
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { createSsmClient } from '../../lib/zego/ssm-client';
import { handler as bindAndSend } from './bind-and-send';

const ssm = createSsmClient();
let secret: Promise<string | undefined> | undefined;

export const handler = async (event: { body?: string }) => {
  secret ??= ssm
    .send(new GetParameterCommand({ Name: process.env.ZEGO_CALLBACK_SECRET_PARAM, WithDecryption: true }))
    .then((answer) => answer.Parameter?.Value);
  if (!(await secret)) throw new Error('the secret parameter has no value');
  return bindAndSend(event);
};
