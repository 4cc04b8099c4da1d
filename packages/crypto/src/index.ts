export {
  createCredentialCipher,
  createCredentialCipherFromEnv,
  CredentialDecryptError,
  keyIdOf,
  type CredentialCipher,
  type SealedSecret,
} from './credential-cipher.ts';
export { credentialsAssociatedData } from './credentials-associated-data.ts';
export { secretsEqual } from './secrets-equal.ts';
