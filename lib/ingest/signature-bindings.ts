import { createHash } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { SignatureReusedError, SignatureStoreUnavailableError } from '../errors';
import { ingestDynamoClient } from './dynamodb-client';

/**
 * ZEGO's signature covers only the secret, the timestamp and the nonce, never the body, so one
 * genuine (timestamp, nonce, signature) could be attached to any body. Each signature is therefore
 * bound, at ingest and in arrival order, to the identity of the first callback that used it: a ZEGO
 * retry of that callback passes (same identity, or a fresh triple), any other callback with the
 * triple is a forgery and is refused before it reaches the queue.
 *
 * Keyed by the signature itself rather than (appid, timestamp, nonce): it stands for the secret,
 * the timestamp and the nonce together, so a triple moved to another appid that shares the secret
 * is caught too.
 */
export interface SignatureBinding {
  /** The verified signature, lowercase hex. */
  signature: string;
  /** The callback's identity (lib/zego/callback-identity.ts). */
  identity: string;
  /** Unix seconds after which the triple could no longer pass the skew check: the binding may go. */
  expiresAt: number;
}

/** Binds the triple, or throws SignatureReusedError (another identity holds it) or SignatureStoreUnavailableError. */
export type BindSignature = (binding: SignatureBinding) => Promise<void>;

export interface SignatureBindingOptions {
  tableName: string;
  /** Current time in milliseconds. */
  now?: () => number;
  client?: DynamoDBClient;
}

/**
 * One conditional PutItem per callback: it succeeds when the triple is new, already bound to this
 * identity (a ZEGO retry), or bound long enough ago that DynamoDB's TTL simply has not removed it yet.
 */
export function dynamoSignatureBindings({
  tableName,
  now = Date.now,
  client = ingestDynamoClient,
}: SignatureBindingOptions): BindSignature {
  return async ({ signature, identity, expiresAt }) => {
    const identityHash = { S: sha256(identity) };
    const nowSeconds = { N: String(Math.floor(now() / 1000)) };
    try {
      await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: {
            signature: { S: signature },
            identityHash,
            boundAt: nowSeconds,
            expiresAt: { N: String(expiresAt) },
          },
          ConditionExpression:
            'attribute_not_exists(signature) OR identityHash = :identity OR expiresAt < :now',
          ExpressionAttributeValues: { ':identity': identityHash, ':now': nowSeconds },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new SignatureReusedError(
          'this timestamp, nonce and signature were already used by another callback; a signature is good for one callback',
        );
      }
      throw new SignatureStoreUnavailableError('the signature could not be recorded', { cause: error });
    }
  };
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
