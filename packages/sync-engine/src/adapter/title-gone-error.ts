/**
 * Thrown by an adapter when the platform no longer knows one title (a 404 for that title: delisted,
 * removed from the account between listing and fetching). The engine skips that title — nothing of
 * it is written, its stored rows stay as they are, it counts in `gamesSkipped` — and the run goes on.
 */
export class TitleGoneError extends Error {
  readonly platformGameId: string;
  constructor(platformGameId: string, options?: { cause?: unknown; message?: string }) {
    super(options?.message ?? `title ${platformGameId} is gone on the platform`, { cause: options?.cause });
    this.name = 'TitleGoneError';
    this.platformGameId = platformGameId;
  }
}
