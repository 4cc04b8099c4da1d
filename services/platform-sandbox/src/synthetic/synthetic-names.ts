import type { SeededRandom } from './seeded-random.ts';

/** Word lists for plausible game, achievement and player names. Shared by every platform's sandbox. */
const ADJECTIVES = [
  'Crimson', 'Silent', 'Forgotten', 'Iron', 'Hollow', 'Eternal', 'Shattered', 'Neon', 'Frozen', 'Savage',
  'Golden', 'Broken', 'Hidden', 'Last', 'Wild', 'Dark', 'Stellar', 'Ancient', 'Rogue', 'Lost',
] as const;
const NOUNS = [
  'Kingdom', 'Horizon', 'Legion', 'Frontier', 'Citadel', 'Odyssey', 'Dominion', 'Harbor', 'Outpost', 'Empire',
  'Labyrinth', 'Station', 'Vanguard', 'Chronicle', 'Wasteland', 'Garden', 'Forge', 'Nebula', 'Covenant', 'Tide',
] as const;
const SUBTITLES = [
  'Definitive Edition', 'Remastered', 'Rise of the Fallen', 'Origins', 'Director\'s Cut', 'Second Dawn',
  'The Long Night', 'Reckoning', 'Tactics', 'Online', 'Anniversary Edition', 'Deluxe',
] as const;
const ACHIEVEMENT_VERBS = ['Defeat', 'Collect', 'Discover', 'Complete', 'Survive', 'Build', 'Win', 'Reach', 'Unlock', 'Master'] as const;
const ACHIEVEMENT_OBJECTS = [
  'the first boss', 'every relic', 'the hidden valley', 'chapter three', '100 waves', 'a fortress', '10 matches in a row',
  'level 50', 'all outfits', 'the final trial', 'the secret ending', 'a perfect run', 'the lighthouse', 'five allies',
] as const;
const ACHIEVEMENT_TITLES = [
  'First Blood', 'Hoarder', 'Explorer', 'Untouchable', 'Architect', 'Speed Demon', 'Completionist', 'Night Owl',
  'Sharpshooter', 'Pacifist', 'Lucky Streak', 'Old Friend', 'Trailblazer', 'Iron Will', 'Collector', 'Legend',
] as const;
const HANDLE_PARTS = ['shadow', 'pixel', 'nova', 'frost', 'wolf', 'byte', 'raven', 'blaze', 'echo', 'zen', 'rune', 'vex'] as const;

export function gameTitle(rng: SeededRandom): string {
  const base = `${rng.pick(ADJECTIVES)} ${rng.pick(NOUNS)}`;
  const roll = rng.next();
  if (roll < 0.35) return `${base}: ${rng.pick(SUBTITLES)}`;
  if (roll < 0.5) return `${base} ${rng.int(2, 4)}`;
  return base;
}

export function achievementTitle(rng: SeededRandom, index: number): string {
  const title = rng.pick(ACHIEVEMENT_TITLES);
  return index < ACHIEVEMENT_TITLES.length ? title : `${title} ${toRoman(Math.floor(index / ACHIEVEMENT_TITLES.length) + 1)}`;
}

export function achievementDescription(rng: SeededRandom): string {
  return `${rng.pick(ACHIEVEMENT_VERBS)} ${rng.pick(ACHIEVEMENT_OBJECTS)}.`;
}

export function playerHandle(rng: SeededRandom): string {
  return `${rng.pick(HANDLE_PARTS)}${rng.pick(HANDLE_PARTS)}${rng.int(1, 999)}`;
}

function toRoman(n: number): string {
  const numerals: [number, string][] = [[10, 'X'], [9, 'IX'], [5, 'V'], [4, 'IV'], [1, 'I']];
  let out = '';
  for (const [value, numeral] of numerals) {
    while (n >= value) {
      out += numeral;
      n -= value;
    }
  }
  return out;
}
