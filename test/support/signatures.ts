import { SignatureReusedError } from '../../lib/errors';
import type { BindSignature, SignatureBinding } from '../../lib/ingest/signature-bindings';

/**
 * The signature bindings' rule (lib/ingest/signature-bindings.ts) in memory, for unit tests; the
 * DynamoDB one is tested against DynamoDB Local. `bound` shows what was recorded.
 */
export function memorySignatureBindings(now: () => number = Date.now) {
  const bound = new Map<string, SignatureBinding>();
  const bind: BindSignature = async (binding) => {
    const held = bound.get(binding.signature);
    if (held && held.identity !== binding.identity && held.expiresAt >= Math.floor(now() / 1000)) {
      throw new SignatureReusedError(
        'this timestamp, nonce and signature were already used by another callback',
      );
    }
    bound.set(binding.signature, binding);
  };
  return { bind, bound };
}
