import { describe, expect, it } from 'vitest';
import { PULLED_TABLES, pullResponseBody, pullResponseBytes, type PulledTable, type PulledTableChanges } from '../src/index.ts';

/**
 * The pull answer is written straight into one Buffer sized from the pieces' UTF-8 byte lengths
 * (not their string lengths): non-ASCII text — names, descriptions, emoji — must come through whole.
 */
const none: PulledTableChanges = { updated: '[]', deleted: '[]', updatedCount: 0, deletedCount: 0 };
const tables = (overrides: Partial<Record<PulledTable, PulledTableChanges>>) =>
  Object.fromEntries(PULLED_TABLES.map((t) => [t, overrides[t] ?? none])) as Record<PulledTable, PulledTableChanges>;

describe('pullResponseBytes', () => {
  it('is the WatermelonDB answer, byte for byte, with multi-byte text intact', () => {
    const profile = [{ id: 'u1', display_name: 'Zoë — 勝利 🎮', username: 'zoe' }];
    const achievements = [{ id: '3:440:ACH_1', name: 'Ünlock «all»', description: null }, { id: '3:440:ACH_2', name: 'plain', description: 'x' }];
    const input = tables({
      user_profile: { updated: JSON.stringify(profile), deleted: '[]', updatedCount: 1, deletedCount: 0 },
      achievements: { updated: JSON.stringify(achievements), deleted: JSON.stringify(['3:440:ÄCH_gone']), updatedCount: 2, deletedCount: 1 },
    });

    const bytes = pullResponseBytes(1_234_567, input);
    const parsed = JSON.parse(bytes.toString('utf8')) as { changes: Record<string, { created: unknown[]; updated: unknown[]; deleted: unknown[] }>; timestamp: number };

    expect(parsed.timestamp).toBe(1_234_567);
    expect(Object.keys(parsed.changes)).toEqual([...PULLED_TABLES]);
    expect(parsed.changes.user_profile).toEqual({ created: [], updated: profile, deleted: [] });
    expect(parsed.changes.achievements).toEqual({ created: [], updated: achievements, deleted: ['3:440:ÄCH_gone'] });
    expect(parsed.changes.games).toEqual({ created: [], updated: [], deleted: [] });
    // No slack and no truncation: exactly the UTF-8 encoding of the text form.
    expect(bytes.equals(Buffer.from(pullResponseBody(1_234_567, input), 'utf8'))).toBe(true);
    expect(bytes.byteLength).toBe(Buffer.byteLength(JSON.stringify(parsed), 'utf8'));
  });
});
