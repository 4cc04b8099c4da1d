import type { CheckMode, CheckResult, OverallStatus } from '../quality/check-result.ts';
import type { AlertKind } from './alert-policy.ts';

export interface AlertSubject {
  kind: Exclude<AlertKind, 'suppressed'>;
  status: OverallStatus;
  previous: OverallStatus;
  run: { id: number; runAt: Date; mode: CheckMode; checks: CheckResult[] };
}

export interface AlertMessage {
  /** E-mail subject and Slack's notification fallback. */
  subject: string;
  text: string;
  /** Slack Block Kit. */
  blocks: unknown[];
}

const ICON: Record<OverallStatus, string> = { healthy: ':large_green_circle:', warning: ':large_yellow_circle:', critical: ':red_circle:' };

function headline(subject: AlertSubject): string {
  const status = subject.status.toUpperCase();
  switch (subject.kind) {
    case 'alert':
      return `achievement-sync data quality: ${status} (was ${subject.previous})`;
    case 'reminder':
      return `achievement-sync data quality: still ${status}`;
    case 'recovery':
      return `achievement-sync data quality: healthy again (was ${subject.previous})`;
  }
}

/** One line per check that did not pass: what it found, and the few details an operator acts on. */
function checkLine(check: CheckResult): string {
  const extra: string[] = [];
  const d = check.details;
  if (Array.isArray(d.repaired_ids) && d.repaired_ids.length > 0) extra.push(`${d.repaired_ids.length} repaired automatically`);
  if (Array.isArray(d.requeued) && d.requeued.length > 0) extra.push(`${d.requeued.length} re-enqueued`);
  if (Array.isArray(d.failed) && d.failed.length > 0) extra.push(`${d.failed.length} closed as failed`);
  if (Array.isArray(d.late_queues) && d.late_queues.length > 0) extra.push(`late: ${d.late_queues.join(', ')}`);
  if (d.errors && typeof d.errors === 'object') extra.push('could not be fully measured');
  const value = check.observedValue === null ? 'n/a' : String(check.observedValue);
  return `${check.checkName}: ${check.status} (${check.severity}) — ${value}${extra.length > 0 ? `; ${extra.join('; ')}` : ''}`;
}

const escapeMrkdwn = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function buildAlertMessage(subject: AlertSubject): AlertMessage {
  const title = headline(subject);
  const notPassing = subject.run.checks.filter((c) => c.status !== 'pass');
  const lines = notPassing.map(checkLine);
  const context = `${subject.run.mode} check #${subject.run.id} at ${subject.run.runAt.toISOString()}`;
  const body = lines.length > 0 ? lines.map((l) => `• ${l}`).join('\n') : 'Every check passes.';
  const text = `${title}\n${body}\n${context}`;
  const section = lines.length > 0 ? lines.map((l) => `• ${escapeMrkdwn(l)}`).join('\n') : 'Every check passes.';
  return {
    subject: title,
    text,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: title.slice(0, 150), emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: `${ICON[subject.status]} ${section}`.slice(0, 3000) } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: escapeMrkdwn(context) }] },
    ],
  };
}
