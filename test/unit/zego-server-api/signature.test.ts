import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newSignatureNonce, signServerApiRequest } from '../../../lib/zego-server-api/signature';

// ZEGO's published worked example (server API docs, "signature"); the only real-looking secret here.
const example = {
  appId: '12345',
  signatureNonce: '4fd24687296dd9f3',
  serverSecret: '9193cc662a4c0ec135ec71fb57194b38',
  timestamp: 1615186943,
};

describe('signServerApiRequest', () => {
  it("reproduces ZEGO's worked example", () => {
    expect(signServerApiRequest(example)).toBe('43e5cfcca828314675f91b001390566a');
  });

  it('signs a timestamp given as text like the same number', () => {
    expect(signServerApiRequest({ ...example, timestamp: '1615186943' })).toBe(
      '43e5cfcca828314675f91b001390566a',
    );
  });

  it('changes when any signed value changes', () => {
    const base = signServerApiRequest(example);
    expect(signServerApiRequest({ ...example, appId: '12346' })).not.toBe(base);
    expect(signServerApiRequest({ ...example, signatureNonce: '4fd24687296dd9f4' })).not.toBe(base);
    expect(signServerApiRequest({ ...example, serverSecret: 'another-secret' })).not.toBe(base);
    expect(signServerApiRequest({ ...example, timestamp: 1615186944 })).not.toBe(base);
  });

  it('concatenates in the order AppId, nonce, ServerSecret, Timestamp', () => {
    const { appId, signatureNonce, serverSecret, timestamp } = example;
    const md5 = (text: string) => createHash('md5').update(text).digest('hex');
    expect(signServerApiRequest(example)).toBe(md5(`${appId}${signatureNonce}${serverSecret}${timestamp}`));
    expect(signServerApiRequest(example)).not.toBe(
      md5(`${appId}${serverSecret}${signatureNonce}${timestamp}`),
    );
  });
});

describe('newSignatureNonce', () => {
  it('is 16 lowercase hex characters', () => {
    for (let i = 0; i < 100; i++) expect(newSignatureNonce()).toMatch(/^[0-9a-f]{16}$/);
  });

  it('is new on every call', () => {
    const nonces = new Set(Array.from({ length: 1_000 }, newSignatureNonce));
    expect(nonces.size).toBe(1_000);
  });
});
