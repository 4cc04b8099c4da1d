import type { OverallStatus } from '../quality/check-result.ts';

export type AlertKind = 'alert' | 'recovery' | 'reminder' | 'suppressed';

export interface AlertMemory {
  /** The last message operators actually received (alert, recovery or reminder); none yet means "healthy". */
  told?: { status: OverallStatus; sentAt: Date };
  /** When operators were last alerted about the status now found (alert or reminder). */
  lastAlertOfStatusAt?: Date;
}

export type AlertDecision = { kind: AlertKind; previous: OverallStatus } | { kind: 'none'; previous: OverallStatus };

/**
 * What to tell operators about a run, from what they were told last (not from the previous run:
 * a suppressed or undelivered message must not count as known):
 *
 * - a change of overall status is announced (`alert`), a return to healthy too (`recovery`);
 * - the same status again is not, except a still-unhealthy status after `repeatAfterMs` (`reminder`);
 * - flapping: a status that was alerted less than `repeatAfterMs` ago and recovered in between is
 *   not alerted again (`suppressed`); operators then still believe "healthy", so no recovery follows
 *   either until a real alert went out.
 */
export function decideAlert(input: { status: OverallStatus; memory: AlertMemory; now: Date; repeatAfterMs: number }): AlertDecision {
  const { status, memory, now, repeatAfterMs } = input;
  const previous = memory.told?.status ?? 'healthy';
  if (status === previous) {
    if (status !== 'healthy' && memory.told && now.getTime() - memory.told.sentAt.getTime() >= repeatAfterMs) return { kind: 'reminder', previous };
    return { kind: 'none', previous };
  }
  if (status === 'healthy') return { kind: 'recovery', previous };
  const flapping = previous === 'healthy' && memory.lastAlertOfStatusAt !== undefined && now.getTime() - memory.lastAlertOfStatusAt.getTime() < repeatAfterMs;
  return { kind: flapping ? 'suppressed' : 'alert', previous };
}
