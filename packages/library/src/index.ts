export type { AchievementRecord, GameWrite, PlatformProgress, RarityRecord, TitleRecord, UnlockRecord, WriteGameBatchInput } from './write/game-write.ts';
export { dedupeBy } from './write/dedupe.ts';
export { addWriteCounts, emptyWriteCounts, rowsWritten, type TableCounts, type WriteCounts, type WrittenTable } from './write/write-counts.ts';
export { removeVanishedTitles, writeGameBatch } from './repository/library-write-repository.ts';
export {
  gameAchievementsForUser,
  gamesWithProgressPage,
  loadFreshGameMetadata,
  parityBreaches,
  storedChangeMarkers,
  userHasGame,
  type AchievementWithEarnedState,
  type GamesPage,
  type GamesPageKey,
  type GameWithProgress,
  type ParityBreach,
  type StoredGameMetadata,
} from './repository/library-read-repository.ts';
