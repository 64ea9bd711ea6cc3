import { createHash } from 'node:crypto';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignatureReusedError, SignatureStoreUnavailableError } from '../../lib/errors';
import { dynamoSignatureBindings } from '../../lib/ingest/signature-bindings';
import { type LocalStack, startLocalStack } from '../support/local-stack';

// The one-use-per-signature rule as ingest applies it: a conditional put on DynamoDB Local.
let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack();
});
afterAll(() => stack?.stop());

const NOW_MS = 1_689_835_223_000;
const bindings = (now = NOW_MS) =>
  dynamoSignatureBindings({
    tableName: stack.tables.signatures,
    client: stack.clients.dynamo,
    now: () => now,
  });
let counter = 0;
const signature = () => (++counter).toString(16).padStart(40, '0');
const binding = (sig: string, identity: string, expiresAt = NOW_MS / 1000 + 360) => ({
  signature: sig,
  identity,
  expiresAt,
});

describe('signature bindings on DynamoDB Local', () => {
  it('binds a new signature, and binds it again for the same callback (a ZEGO retry)', async () => {
    const sig = signature();
    await bindings()(binding(sig, '111111:t:mix_stop:1'));
    await expect(bindings()(binding(sig, '111111:t:mix_stop:1'))).resolves.toBeUndefined();
  });

  it('stores the binding under the signature: the identity’s hash, when it was bound and when it may go', async () => {
    const sig = signature();
    await bindings()(binding(sig, '111111:t:mix_stop:1', 1_689_835_583));
    const { Item } = await stack.clients.dynamo.send(
      new GetItemCommand({ TableName: stack.tables.signatures, Key: { signature: { S: sig } } }),
    );
    expect(Item).toEqual({
      signature: { S: sig },
      identityHash: { S: createHash('sha256').update('111111:t:mix_stop:1').digest('hex') },
      boundAt: { N: '1689835223' },
      expiresAt: { N: '1689835583' },
    });
  });

  it('refuses the same signature for another callback, telling the caller why', async () => {
    const sig = signature();
    await bindings()(binding(sig, '111111:t:mix_stop:1'));
    await expect(bindings()(binding(sig, '111111:t:mix_stop:2'))).rejects.toThrow(
      'this timestamp, nonce and signature were already used by another callback; a signature is good for one callback',
    );
    await expect(bindings()(binding(sig, '222222:t:mix_stop:1'))).rejects.toThrow(SignatureReusedError);
  });

  it('lets a binding past its expiry go, although TTL has not removed it yet', async () => {
    const sig = signature();
    await bindings()(binding(sig, 'first', NOW_MS / 1000 + 10));
    await expect(bindings(NOW_MS + 11_000)(binding(sig, 'second'))).resolves.toBeUndefined();
  });

  it('keeps a binding for a very long task identity (it stores a hash)', async () => {
    const sig = signature();
    const long = `111111:${'中'.repeat(4_000)}:mix_stop:1`;
    await bindings()(binding(sig, long));
    await expect(bindings()(binding(sig, long))).resolves.toBeUndefined();
  });

  it('answers SignatureStoreUnavailableError when the table cannot be written', async () => {
    const broken = dynamoSignatureBindings({ tableName: 'no-such-table', client: stack.clients.dynamo });
    const failure = broken(binding(signature(), 'x'));
    await expect(failure).rejects.toThrow(SignatureStoreUnavailableError);
    await expect(failure).rejects.toMatchObject({
      message: 'the signature could not be recorded',
      cause: expect.objectContaining({ name: 'ResourceNotFoundException' }),
    });
  });
});
