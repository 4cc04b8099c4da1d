export {
  createCredentialCipher,
  createCredentialCipherFromEnv,
  CredentialDecryptError,
  keyIdOf,
  type CredentialCipher,
  type SealedSecret,
} from './credential-cipher.ts';
