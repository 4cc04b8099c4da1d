/**
 * Associated data binding a sealed credential to its row (`<userId>:<platform>`): a ciphertext
 * copied to another user or platform fails to open. The API seals with it at link time and the
 * workers open with it, so both must build it here.
 */
export const credentialsAssociatedData = (userId: string, platform: string): string => `${userId}:${platform}`;
