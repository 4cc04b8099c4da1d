import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export interface SealedSecret {
  /** `v1.<iv>.<tag>.<ciphertext>`, base64url parts. */
  ciphertext: string;
  /** Which key sealed it, so old rows stay readable after a rotation. */
  keyId: string;
}

export interface CredentialCipher {
  readonly currentKeyId: string;
  seal(plaintext: string, associatedData?: string): SealedSecret;
  open(sealed: SealedSecret, associatedData?: string): string;
  sealJson(value: unknown, associatedData?: string): SealedSecret;
  openJson<T = unknown>(sealed: SealedSecret, associatedData?: string): T;
}

export class CredentialDecryptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialDecryptError';
  }
}

/** A key id is a short hash of the key: stable, reveals nothing, needs no separate registry. */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 12);
}

/** GCM accepts tags down to 4 bytes unless told the length; a short tag is a forgeable one. */
const AUTH_TAG_BYTES = 16;

/**
 * AES-256-GCM with a random 96-bit IV per seal. `associatedData` binds a ciphertext to its row
 * (e.g. `userId:platform`) so a token copied onto another user's row fails to open.
 */
export function createCredentialCipher(options: { key: string; oldKeys?: string[] }): CredentialCipher {
  const current = Buffer.from(options.key, 'base64');
  if (current.length !== 32) throw new Error('credential key must be 32 bytes');
  const keys = new Map<string, Buffer>([[keyIdOf(current), current]]);
  for (const old of options.oldKeys ?? []) {
    const buf = Buffer.from(old, 'base64');
    if (buf.length !== 32) throw new Error('retired credential key must be 32 bytes');
    keys.set(keyIdOf(buf), buf);
  }
  const currentKeyId = keyIdOf(current);

  function seal(plaintext: string, associatedData = ''): SealedSecret {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', current, iv, { authTagLength: AUTH_TAG_BYTES });
    cipher.setAAD(Buffer.from(associatedData));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return {
      keyId: currentKeyId,
      ciphertext: ['v1', iv.toString('base64url'), tag.toString('base64url'), body.toString('base64url')].join('.'),
    };
  }

  function open(sealed: SealedSecret, associatedData = ''): string {
    const key = keys.get(sealed.keyId);
    if (!key) throw new CredentialDecryptError(`no key with id ${sealed.keyId}`);
    const [version, iv, tag, body] = sealed.ciphertext.split('.');
    if (version !== 'v1' || !iv || !tag || body === undefined) throw new CredentialDecryptError('unrecognised ciphertext format');
    const tagBytes = Buffer.from(tag, 'base64url');
    if (tagBytes.length !== AUTH_TAG_BYTES) throw new CredentialDecryptError('ciphertext failed authentication');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), { authTagLength: AUTH_TAG_BYTES });
      decipher.setAAD(Buffer.from(associatedData));
      decipher.setAuthTag(tagBytes);
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new CredentialDecryptError('ciphertext failed authentication');
    }
  }

  return {
    currentKeyId,
    seal,
    open,
    sealJson: (value, associatedData) => seal(JSON.stringify(value), associatedData),
    openJson: <T,>(sealed: SealedSecret, associatedData?: string) => JSON.parse(open(sealed, associatedData)) as T,
  };
}

/**
 * The cipher as every process configures it: the current key plus any retired ones still readable,
 * as @ach/config's credentialsKeyEnv parses them.
 */
export function createCredentialCipherFromEnv(env: { CREDENTIALS_ENCRYPTION_KEY: string; CREDENTIALS_ENCRYPTION_OLD_KEYS: string[] }): CredentialCipher {
  return createCredentialCipher({ key: env.CREDENTIALS_ENCRYPTION_KEY, oldKeys: env.CREDENTIALS_ENCRYPTION_OLD_KEYS });
}
