import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createCredentialCipher, CredentialDecryptError } from '../src/credential-cipher.ts';

const key = () => randomBytes(32).toString('base64');

describe('credential cipher', () => {
  it('round-trips and never contains the plaintext', () => {
    const cipher = createCredentialCipher({ key: key() });
    const sealed = cipher.seal('super-secret-refresh-token', 'user:1');
    expect(sealed.ciphertext).not.toContain('super-secret');
    expect(cipher.open(sealed, 'user:1')).toBe('super-secret-refresh-token');
  });

  it('rejects a ciphertext moved to another row (associated data)', () => {
    const cipher = createCredentialCipher({ key: key() });
    const sealed = cipher.seal('token', 'user-a:1');
    expect(() => cipher.open(sealed, 'user-b:1')).toThrow(CredentialDecryptError);
  });

  it('reads secrets sealed with a retired key after rotation', () => {
    const oldKey = key();
    const sealed = createCredentialCipher({ key: oldKey }).sealJson({ a: 1 });
    const rotated = createCredentialCipher({ key: key(), oldKeys: [oldKey] });
    expect(rotated.openJson(sealed)).toEqual({ a: 1 });
    expect(rotated.seal('x').keyId).not.toBe(sealed.keyId);
  });

  it('rejects a retired key that is not 32 bytes, as it does the current key', () => {
    expect(() => createCredentialCipher({ key: key(), oldKeys: [randomBytes(16).toString('base64')] })).toThrow('32 bytes');
  });

  it('fails on tampering', () => {
    const cipher = createCredentialCipher({ key: key() });
    const sealed = cipher.seal('token');
    const parts = sealed.ciphertext.split('.');
    parts[3] = Buffer.from('tampered').toString('base64url');
    expect(() => cipher.open({ ...sealed, ciphertext: parts.join('.') })).toThrow(CredentialDecryptError);
  });

  it.each([4, 8, 12])('refuses a ciphertext whose tag is truncated to %i bytes', (bytes) => {
    const cipher = createCredentialCipher({ key: key() });
    const sealed = cipher.seal('token', 'user:1');
    const parts = sealed.ciphertext.split('.');
    parts[2] = Buffer.from(parts[2]!, 'base64url').subarray(0, bytes).toString('base64url');
    expect(() => cipher.open({ ...sealed, ciphertext: parts.join('.') }, 'user:1')).toThrow(CredentialDecryptError);
  });

  it('opens a ciphertext with its full 16-byte tag', () => {
    const cipher = createCredentialCipher({ key: key() });
    const sealed = cipher.seal('token', 'user:1');
    expect(Buffer.from(sealed.ciphertext.split('.')[2]!, 'base64url')).toHaveLength(16);
    expect(cipher.open(sealed, 'user:1')).toBe('token');
  });
});
