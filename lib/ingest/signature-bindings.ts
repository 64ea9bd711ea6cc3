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
 * bound, at ingest and in arrival order, to the whole of the first callback that used it (its
 * digest: every field as decoded): a ZEGO retry of that callback passes (the same body, or a fresh
 * triple), any other body with the triple is a forgery and is refused before it reaches the queue,
 * whether it names another callback or keeps the identity and changes a field.
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
  /** The callback's digest (lib/zego/callback-identity.ts, already a SHA-256): what the signature is bound to. */
  digest: string;
  /** Unix seconds after which the triple could no longer pass the skew check: the binding may go. */
  expiresAt: number;
}

/** What a binding holds, hashed: the signature's row as DynamoDB stores it. */
export interface HeldBinding {
  identityHash: string;
  /** The digest of the body that holds the signature. Absent on a row written before bindings held it: the identity alone decides then. */
  bodyHash?: string;
  expiresAt: number;
}

/**
 * The rule, in one place: may `binding` take the signature that `held` holds at `nowSeconds`? The
 * conditional put below says the same to DynamoDB; the integration test runs both on every case.
 */
export function mayBind(
  held: HeldBinding | undefined,
  binding: SignatureBinding,
  nowSeconds: number,
): boolean {
  if (held === undefined || held.expiresAt < nowSeconds) return true;
  if (held.bodyHash !== undefined) return held.bodyHash === binding.digest;
  return held.identityHash === sha256(binding.identity);
}

/** Binds the triple, or throws SignatureReusedError (another body holds it) or SignatureStoreUnavailableError. */
export type BindSignature = (binding: SignatureBinding) => Promise<void>;

export interface SignatureBindingOptions {
  tableName: string;
  /** Current time in milliseconds. */
  now?: () => number;
  client?: DynamoDBClient;
}

/**
 * One conditional PutItem per callback: it succeeds when the triple is new, already bound to this
 * body (a ZEGO retry), or bound long enough ago that DynamoDB's TTL simply has not removed it yet.
 * The refusal says whether the body that holds the triple has the same identity (a forged body for a
 * genuine callback) when DynamoDB returns the held row (DynamoDB Local and AWS do).
 */
export function dynamoSignatureBindings({
  tableName,
  now = Date.now,
  client = ingestDynamoClient,
}: SignatureBindingOptions): BindSignature {
  return async ({ signature, identity, digest, expiresAt }) => {
    const identityHash = { S: sha256(identity) };
    const bodyHash = { S: digest };
    const nowSeconds = { N: String(Math.floor(now() / 1000)) };
    try {
      await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: {
            signature: { S: signature },
            identityHash,
            bodyHash,
            boundAt: nowSeconds,
            expiresAt: { N: String(expiresAt) },
          },
          ConditionExpression: [
            'attribute_not_exists(signature)',
            'bodyHash = :body',
            '(attribute_not_exists(bodyHash) AND identityHash = :identity)',
            'expiresAt < :now',
          ].join(' OR '),
          ExpressionAttributeValues: { ':identity': identityHash, ':body': bodyHash, ':now': nowSeconds },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        const heldIdentity = error.Item?.identityHash?.S;
        throw new SignatureReusedError(
          heldIdentity === undefined
            ? 'this timestamp, nonce and signature were already used by another body; a signature is good for one body'
            : heldIdentity === identityHash.S
              ? 'this timestamp, nonce and signature were already used by a callback with the same identity and another body; a signature is good for one body'
              : 'this timestamp, nonce and signature were already used by another callback; a signature is good for one callback',
          { heldBodyHash: error.Item?.bodyHash?.S, bodyHash: bodyHash.S },
        );
      }
      throw new SignatureStoreUnavailableError('the signature could not be recorded', { cause: error });
    }
  };
}

/** What the table stores for an identity or a digest (never the text itself: ids can be long). */
export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
