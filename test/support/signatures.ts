import { SignatureReusedError } from '../../lib/errors';
import {
  type BindSignature,
  type HeldBinding,
  mayBind,
  type SignatureBinding,
  sha256,
} from '../../lib/ingest/signature-bindings';
import type { PreparedMessage } from '../../lib/queue/enqueue';
import type { KeepRefused } from '../../lib/queue/keep-refused';

/**
 * Signature bindings in memory, for unit tests, deciding with the same rule as the DynamoDB one
 * (`mayBind`; test/integration/signature-bindings.test.ts shows DynamoDB Local agrees with it on
 * every case). `bound` shows what was recorded; `kept` the refused bodies kept for the operator.
 */
export function memorySignatureBindings(now: () => number = Date.now) {
  const held = new Map<string, HeldBinding>();
  const bound = new Map<string, SignatureBinding>();
  const kept: { message: PreparedMessage; refusal: SignatureReusedError }[] = [];
  const bind: BindSignature = async (binding) => {
    const row = held.get(binding.signature);
    if (!mayBind(row, binding, Math.floor(now() / 1000))) {
      throw new SignatureReusedError(
        'this timestamp, nonce and signature were already used by another body',
        {
          bodyHash: binding.digest,
          heldBodyHash: row?.bodyHash,
        },
      );
    }
    held.set(binding.signature, {
      identityHash: sha256(binding.identity),
      bodyHash: binding.digest,
      expiresAt: binding.expiresAt,
    });
    bound.set(binding.signature, binding);
  };
  const keepRefused: KeepRefused = async (message, refusal) => {
    kept.push({ message, refusal });
  };
  return { bind, bound, kept, keepRefused };
}
