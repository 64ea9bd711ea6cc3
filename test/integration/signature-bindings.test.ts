import { createHash } from 'node:crypto';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignatureReusedError, SignatureStoreUnavailableError } from '../../lib/errors';
import { dynamoSignatureBindings, type HeldBinding, mayBind } from '../../lib/ingest/signature-bindings';
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
/** A binding whose body is the identity unless told otherwise (`digest`). */
const binding = (
  sig: string,
  identity: string,
  expiresAt = NOW_MS / 1000 + 360,
  digest = `body of ${identity}`,
) => ({
  signature: sig,
  identity,
  digest,
  expiresAt,
});
const hash = (text: string) => createHash('sha256').update(text).digest('hex');

describe('signature bindings on DynamoDB Local', () => {
  it('binds a new signature, and binds it again for the same callback (a ZEGO retry)', async () => {
    const sig = signature();
    await bindings()(binding(sig, '111111:t:mix_stop:1'));
    await expect(bindings()(binding(sig, '111111:t:mix_stop:1'))).resolves.toBeUndefined();
  });

  it('stores the binding under the signature: the identity’s hash, when it was bound and when it may go', async () => {
    const sig = signature();
    // An expiry still ahead of the real clock: the table has TTL on expiresAt, and DynamoDB Local
    // may remove an item whose expiry has passed before this test reads it.
    await bindings()(binding(sig, '111111:t:mix_stop:1', 4_102_444_800));
    const { Item } = await stack.clients.dynamo.send(
      new GetItemCommand({
        TableName: stack.tables.signatures,
        Key: { signature: { S: sig } },
        ConsistentRead: true,
      }),
    );
    expect(Item).toEqual({
      signature: { S: sig },
      identityHash: { S: hash('111111:t:mix_stop:1') },
      bodyHash: { S: 'body of 111111:t:mix_stop:1' }, // the digest, itself a SHA-256 in ingest
      boundAt: { N: '1689835223' },
      expiresAt: { N: '4102444800' },
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

  it('refuses the same identity with another body, telling the caller and giving both hashes', async () => {
    const sig = signature();
    await bindings()(binding(sig, '111111:t:mix_stop:1', undefined, 'genuine'));
    const refusal = bindings()(binding(sig, '111111:t:mix_stop:1', undefined, 'forged'));
    await expect(refusal).rejects.toThrow(
      'this timestamp, nonce and signature were already used by a callback with the same identity and another body; a signature is good for one body',
    );
    await expect(refusal).rejects.toMatchObject({
      hashes: { bodyHash: 'forged', heldBodyHash: 'genuine' },
    });
  });

  it('decides as mayBind does on every case, including rows written before bindings held the body', async () => {
    const nowSeconds = NOW_MS / 1000;
    const identity = '111111:t:mix_stop:1';
    const helds: (HeldBinding | undefined)[] = [undefined];
    for (const identityHash of [hash(identity), hash('other')])
      for (const bodyHash of [undefined, 'genuine', 'forged'])
        for (const expiresAt of [nowSeconds - 1, nowSeconds, nowSeconds + 60])
          helds.push({ identityHash, ...(bodyHash && { bodyHash }), expiresAt });
    const seen: boolean[] = [];
    for (const held of helds) {
      for (const digest of ['genuine', 'forged']) {
        const sig = signature();
        if (held) {
          await stack.clients.dynamo.send(
            new PutItemCommand({
              TableName: stack.tables.signatures,
              Item: {
                signature: { S: sig },
                identityHash: { S: held.identityHash },
                ...(held.bodyHash && { bodyHash: { S: held.bodyHash } }),
                expiresAt: { N: String(held.expiresAt) },
              },
            }),
          );
        }
        const incoming = binding(sig, identity, nowSeconds + 360, digest);
        const taken = await bindings()(incoming).then(
          () => true,
          (error) => (error instanceof SignatureReusedError ? false : Promise.reject(error)),
        );
        expect({ held, digest, taken }).toEqual({ held, digest, taken: mayBind(held, incoming, nowSeconds) });
        seen.push(taken);
      }
    }
    expect(seen).toContain(true);
    expect(seen).toContain(false);
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
