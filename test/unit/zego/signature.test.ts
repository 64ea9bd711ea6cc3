import { describe, expect, it } from 'vitest';
import { signCallback, verifyCallbackSignature } from '../../../lib/zego/signature';

// Expected values computed outside this code base with Python's hashlib:
//   hashlib.sha1("".join(sorted([secret, timestamp, nonce])).encode()).hexdigest()
const vectors = [
  {
    name: 'the docs example shape',
    secret: 'fixture-secret-not-real',
    timestamp: '1689835223',
    nonce: '7257787020413449571',
    signature: '0e3ed2da360b48395f44f1a0f3fa519df6b5663b',
  },
  {
    // Numerically 999 < 1689835223; as strings "1689835223" < "999".
    name: 'string order differs from numeric order',
    secret: 'abc',
    timestamp: '1689835223',
    nonce: '999',
    signature: 'c522c0fd1e21f8ebe66040867186687d9b5cab5a',
  },
  {
    // localeCompare puts "_" before digits; code-unit order puts it after.
    name: 'code-unit order differs from locale order',
    secret: '_underscore-secret',
    timestamp: '1700000000',
    nonce: '1234567890123456789',
    signature: '40f37ea7aa269f12bb4e6496aeaa7ec29b027019',
  },
  {
    name: 'a nonce with a leading zero, used as received',
    secret: 'Zsecret',
    timestamp: '1700000000',
    nonce: '0042',
    signature: 'e739a5b67aa66dfbab242f0bcd3c3870aed25017',
  },
];

describe('signCallback', () => {
  it.each(vectors)('matches the known answer when $name', ({ secret, timestamp, nonce, signature }) => {
    expect(signCallback(secret, { timestamp, nonce })).toBe(signature);
  });

  it('differs from the numeric-order digest (computed independently)', () => {
    expect(signCallback('abc', { timestamp: '1689835223', nonce: '999' })).not.toBe(
      '155e2843ddb5dc269003d0cc810e20da60b79916',
    );
  });
});

describe('verifyCallbackSignature', () => {
  const [docs] = vectors;
  if (!docs) throw new Error('no vector');
  const fields = { timestamp: docs.timestamp, nonce: docs.nonce };

  it('accepts the right signature, in either case', () => {
    expect(verifyCallbackSignature([docs.secret], fields, docs.signature)).toBe(true);
    expect(verifyCallbackSignature([docs.secret], fields, docs.signature.toUpperCase())).toBe(true);
  });

  it('accepts either secret during a rotation', () => {
    expect(verifyCallbackSignature(['new-secret', docs.secret], fields, docs.signature)).toBe(true);
    expect(verifyCallbackSignature([docs.secret, 'new-secret'], fields, docs.signature)).toBe(true);
  });

  it('rejects a wrong secret, an altered nonce and an altered timestamp', () => {
    expect(verifyCallbackSignature(['other'], fields, docs.signature)).toBe(false);
    expect(
      verifyCallbackSignature([docs.secret], { ...fields, nonce: '7257787020413449570' }, docs.signature),
    ).toBe(false);
    expect(
      verifyCallbackSignature([docs.secret], { ...fields, timestamp: '1689835224' }, docs.signature),
    ).toBe(false);
  });

  it('rejects a nonce that went through a JS number', () => {
    const rounded = String(Number(docs.nonce));
    expect(rounded).not.toBe(docs.nonce);
    expect(verifyCallbackSignature([docs.secret], { ...fields, nonce: rounded }, docs.signature)).toBe(false);
  });

  it('rejects with no secret and with a signature of the wrong length', () => {
    expect(verifyCallbackSignature([], fields, docs.signature)).toBe(false);
    expect(verifyCallbackSignature([docs.secret], fields, docs.signature.slice(0, 39))).toBe(false);
  });
});
