/**
 * Deterministic randomness: the same seed gives the same sequence on every machine and run, which is
 * what lets a test say "account X has these 30 games" without storing them.
 */
export interface SeededRandom {
  /** [0, 1) */
  next(): number;
  /** Integer in [min, max]. */
  int(min: number, max: number): number;
  chance(probability: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** Lower-case hex string of `length` characters (icon and avatar hashes). */
  hex(length: number): string;
}

/** cyrb53-style 53-bit string hash, split into the two 32-bit halves sfc32 wants. */
function hashSeed(seed: string): [number, number] {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < seed.length; i++) {
    const ch = seed.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return [h1 >>> 0, h2 >>> 0];
}

const HEX_BYTES = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function seededRandom(seed: string): SeededRandom {
  const [s1, s2] = hashSeed(seed);
  // sfc32: small, fast, good enough statistically for synthetic data.
  let a = s1;
  let b = s2;
  let c = s1 ^ 0x9e3779b9;
  let d = 1;
  const next = () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next(); // warm up: early outputs correlate with the seed
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (probability) => next() < probability,
    pick: (items) => items[Math.floor(next() * items.length)]!,
    hex(length) {
      // Table lookups, not toString(16): a large library needs ~100k hashes.
      let out = '';
      while (out.length < length) {
        const n = (next() * 4294967296) >>> 0;
        out += HEX_BYTES[n >>> 24]! + HEX_BYTES[(n >>> 16) & 255]! + HEX_BYTES[(n >>> 8) & 255]! + HEX_BYTES[n & 255]!;
      }
      return out.length === length ? out : out.slice(0, length);
    },
  };
}
