import { describe, expect, it } from 'vitest';
import { idempotencyConfig } from '../../../lib/process/process-once';
import { capturedMetrics, total } from '../../support/metrics';

describe('idempotencyConfig', () => {
  it('keys on the message identity, refuses a message without one, and remembers it for the days given', () => {
    const { metrics } = capturedMetrics('consumer');
    const config = idempotencyConfig({ days: 7, metrics });
    expect(config).toMatchObject({
      eventKeyJmesPath: 'idempotencyKey',
      throwOnNoIdempotencyKey: true,
      expiresAfterSeconds: 7 * 86_400,
    });
    expect(idempotencyConfig({ days: 0.5, metrics }).expiresAfterSeconds).toBe(43_200);
  });

  it('counts an answer from the record as a suppressed duplicate, and passes the answer on', () => {
    const { metrics, emitted } = capturedMetrics('consumer');
    const answer = { event: 'mix_stop', outcome: 'applied' };
    const hook = idempotencyConfig({ days: 7, metrics }).responseHook;
    expect(hook?.(answer, {} as never)).toBe(answer);
    expect(total(emitted(), 'DuplicateSuppressed')).toBe(1);
  });
});
