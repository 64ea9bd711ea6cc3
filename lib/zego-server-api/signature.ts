import { createHash, randomBytes } from 'node:crypto';

export interface ServerApiSignatureInput {
  appId: string;
  /** 16 hex characters, new for every request. */
  signatureNonce: string;
  /** The app's ServerSecret: not its CallbackSecret. */
  serverSecret: string;
  /** Unix seconds, as sent in the query. */
  timestamp: number | string;
}

/** ZEGO's server API signature (version 2.0): md5 over AppId, nonce, ServerSecret and Timestamp, lowercase hex. */
export function signServerApiRequest({
  appId,
  signatureNonce,
  serverSecret,
  timestamp,
}: ServerApiSignatureInput): string {
  return createHash('md5')
    .update(`${appId}${signatureNonce}${serverSecret}${timestamp}`, 'utf8')
    .digest('hex');
}

/** 8 random bytes as 16 lowercase hex characters. */
export function newSignatureNonce(): string {
  return randomBytes(8).toString('hex');
}
