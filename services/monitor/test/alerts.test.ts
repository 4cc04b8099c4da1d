import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, createTestRedis, freePort, type TestDatabase, type TestRedis } from '@ach/testing';
import { createAlertNotifier, recentAlerts, runQualityCheck, type AlertNotifier, type QualityRunOutcome } from '../src/index.ts';
import type { AlertChannel } from '../src/alerts/alert-channel.ts';
import { decideAlert } from '../src/alerts/alert-policy.ts';
import { createEmailChannel } from '../src/alerts/email-channel.ts';
import { createWebhookChannel } from '../src/alerts/webhook-channel.ts';
import { startSmtpReceiver, startWebhookReceiver, type SmtpReceiver, type WebhookReceiver } from './support/alert-receivers.ts';
import { qualityHarness, quietLog, type QualityHarness } from './support/monitor-harness.ts';
import { signUpGhost } from './support/quality-fixtures.ts';

const FAST_RETRY = { attempts: 3, baseDelayMs: 20, maxDelayMs: 80 };

let t: TestDatabase;
let r: TestRedis;
let h: QualityHarness;
let webhook: WebhookReceiver;
let smtp: SmtpReceiver;
const notifiers: AlertNotifier[] = [];

beforeAll(() => {
  r = createTestRedis();
});
afterAll(async () => r?.cleanup());
beforeEach(async () => {
  t = await createTestDatabase();
  h = qualityHarness(t, r, { autoBackfill: false });
  webhook = await startWebhookReceiver();
  smtp = await startSmtpReceiver();
});
afterEach(async () => {
  await Promise.all(notifiers.splice(0).map((n) => n.close()));
  await h?.close();
  await webhook?.close();
  await smtp?.close();
  await t?.drop();
});

function notifier(options: { channels?: AlertChannel[]; repeatAfterMs?: number } = {}): AlertNotifier {
  const created = createAlertNotifier({
    db: t.db,
    channels: options.channels ?? [
      createWebhookChannel({ url: webhook.url }),
      createEmailChannel({ smtpUrl: smtp.url, from: 'Monitor <monitor@example.com>', to: ['ops@example.com', 'oncall@example.com'] }),
    ],
    repeatAfterMs: options.repeatAfterMs ?? 3_600_000,
    log: quietLog,
    retry: FAST_RETRY,
  });
  notifiers.push(created);
  return created;
}

async function run(n: AlertNotifier): Promise<Extract<QualityRunOutcome, { ran: true }>['run']> {
  const outcome = await runQualityCheck({ ...h.deps, notifier: n }, { mode: 'full' });
  if (!outcome.ran) throw new Error('skipped');
  return outcome.run;
}

const makeHealthy = () => sql`select ensure_user_profile(id) from auth.users`.execute(t.db);

describe('alerts on a change of overall status', () => {
  it('a change sends exactly one webhook and one e-mail, a repeat run none (also after a restart), recovery one each', async () => {
    const n = notifier();
    expect((await run(n)).alert).toEqual({ kind: 'none', deliveries: {} });
    expect([webhook.received.length, smtp.received.length]).toEqual([0, 0]);

    await signUpGhost(t.db);
    const critical = await run(n);
    expect(critical.status).toBe('critical');
    expect(critical.alert).toEqual({ kind: 'alert', deliveries: { webhook: { ok: true, attempts: 1 }, email: { ok: true, attempts: 1 } } });
    expect(webhook.received).toHaveLength(1);
    expect(smtp.received).toHaveLength(1);
    const posted = webhook.received[0]!;
    expect(posted.text).toMatch(/^achievement-sync data quality: CRITICAL \(was healthy\)\n/);
    expect(posted.text).toContain('• ghost_users: fail (critical) — 1');
    expect(posted.text).toContain('• auth_users_parity: fail (critical) — 1');
    expect(posted.blocks).toEqual([
      { type: 'header', text: { type: 'plain_text', text: 'achievement-sync data quality: CRITICAL (was healthy)', emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: expect.stringContaining('ghost_users: fail (critical)') } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: expect.stringMatching(new RegExp(`^full check #${critical.id} at `)) }] },
    ]);
    expect(smtp.received[0]).toMatchObject({
      from: 'monitor@example.com', to: ['ops@example.com', 'oncall@example.com'], subject: 'achievement-sync data quality: CRITICAL (was healthy)',
    });
    expect(smtp.received[0]!.raw).toContain('ghost_users: fail (critical)');

    expect((await run(n)).alert).toEqual({ kind: 'none', deliveries: {} });
    // A restarted monitor (or another replica) reads what was told from the database.
    expect((await run(notifier())).alert).toEqual({ kind: 'none', deliveries: {} });
    expect([webhook.received.length, smtp.received.length]).toEqual([1, 1]);

    await makeHealthy();
    const recovered = await run(n);
    expect(recovered.status).toBe('healthy');
    expect(recovered.alert).toMatchObject({ kind: 'recovery' });
    expect([webhook.received.length, smtp.received.length]).toEqual([2, 2]);
    expect(webhook.received[1]!.text).toMatch(/^achievement-sync data quality: healthy again \(was critical\)\nEvery check passes\./);
    expect(smtp.received[1]!.subject).toBe('achievement-sync data quality: healthy again (was critical)');

    expect((await recentAlerts(t.db)).map((a) => [a.kind, a.status, a.previousStatus, a.monitoringLogId])).toEqual([
      ['recovery', 'healthy', 'critical', recovered.id],
      ['alert', 'critical', 'healthy', critical.id],
    ]);
  });

  it('retries a failing channel with backoff; a channel that stays down never breaks the run', async () => {
    webhook.failNext(500, 503);
    const closedPort = await freePort();
    const n = notifier({
      channels: [
        createWebhookChannel({ url: webhook.url }),
        createEmailChannel({ smtpUrl: `smtp://127.0.0.1:${closedPort}`, from: 'monitor@example.com', to: ['ops@example.com'], timeoutMs: 1_000 }),
      ],
    });
    await signUpGhost(t.db);
    const critical = await run(n);
    expect(critical.status).toBe('critical');
    expect(critical.alert).toEqual({
      kind: 'alert',
      deliveries: { webhook: { ok: true, attempts: 3 }, email: { ok: false, attempts: 3, error: 'e-mail not sent (ESOCKET)' } },
    });
    expect(webhook.attempts).toBe(3);
    expect(webhook.received).toHaveLength(1);
    // The webhook reached operators: the change counts as told.
    expect((await run(n)).alert).toMatchObject({ kind: 'none' });
    const [logged] = await recentAlerts(t.db);
    expect(logged!.deliveries).toEqual(critical.alert && 'deliveries' in critical.alert ? critical.alert.deliveries : undefined);
  });

  it('sends again on the next run when no channel delivered; a refused webhook is not retried', async () => {
    webhook.failNext(404);
    const closedPort = await freePort();
    const broken = notifier({
      channels: [
        createWebhookChannel({ url: webhook.url }),
        createEmailChannel({ smtpUrl: `smtp://127.0.0.1:${closedPort}`, from: 'monitor@example.com', to: ['ops@example.com'], timeoutMs: 1_000 }),
      ],
    });
    await signUpGhost(t.db);
    expect((await run(broken)).alert).toEqual({
      kind: 'alert',
      deliveries: { webhook: { ok: false, attempts: 1, error: 'webhook answered 404' }, email: { ok: false, attempts: 3, error: 'e-mail not sent (ESOCKET)' } },
    });
    expect(webhook.attempts).toBe(1);
    const working = notifier();
    expect((await run(working)).alert).toMatchObject({ kind: 'alert', deliveries: { webhook: { ok: true }, email: { ok: true } } });
    expect([webhook.received.length, smtp.received.length]).toEqual([1, 1]);
  });

  it('reminds after ALERT_REPEAT_AFTER_MS while still unhealthy, and does not repeat a flapping alert within it', async () => {
    const n = notifier({ repeatAfterMs: 60_000 });
    await signUpGhost(t.db);
    expect((await run(n)).alert).toMatchObject({ kind: 'alert' });
    // Two minutes later (as far as the alert log knows):
    await sql`update monitor_alert_log set sent_at = sent_at - interval '2 minutes'`.execute(t.db);
    expect((await run(n)).alert).toMatchObject({ kind: 'reminder' });
    expect(webhook.received[1]!.text).toMatch(/^achievement-sync data quality: still CRITICAL\n/);

    await makeHealthy();
    expect((await run(n)).alert).toMatchObject({ kind: 'recovery' });
    // Critical again a moment after it was announced: the same alert is not sent again so soon…
    await signUpGhost(t.db);
    expect((await run(n)).alert).toEqual({ kind: 'suppressed', deliveries: {} });
    // …and operators were not told, so its end is no news either.
    await makeHealthy();
    expect((await run(n)).alert).toEqual({ kind: 'none', deliveries: {} });
    expect(webhook.received.map((m) => m.text.split('\n')[0])).toEqual([
      'achievement-sync data quality: CRITICAL (was healthy)',
      'achievement-sync data quality: still CRITICAL',
      'achievement-sync data quality: healthy again (was critical)',
    ]);
    expect(smtp.received).toHaveLength(3);
    expect((await recentAlerts(t.db)).map((a) => a.kind)).toEqual(['suppressed', 'recovery', 'reminder', 'alert']);
  });

  it('without a channel, alerts are only logged and recorded', async () => {
    const n = notifier({ channels: [] });
    await signUpGhost(t.db);
    expect((await run(n)).alert).toEqual({ kind: 'alert', deliveries: {} });
    expect((await run(n)).alert).toEqual({ kind: 'none', deliveries: {} });
  });
});

describe('decideAlert', () => {
  const now = new Date('2026-01-01T12:00:00Z');
  const ago = (ms: number) => new Date(now.getTime() - ms);
  const decide = (status: 'healthy' | 'warning' | 'critical', memory: Parameters<typeof decideAlert>[0]['memory']) =>
    decideAlert({ status, memory, now, repeatAfterMs: 3_600_000 }).kind;

  it('announces changes, reminds after the repeat window, suppresses flapping', () => {
    expect(decide('healthy', {})).toBe('none');
    expect(decide('warning', {})).toBe('alert');
    expect(decide('critical', { told: { status: 'warning', sentAt: ago(1_000) } })).toBe('alert');
    expect(decide('warning', { told: { status: 'critical', sentAt: ago(1_000) } })).toBe('alert');
    expect(decide('healthy', { told: { status: 'critical', sentAt: ago(1_000) } })).toBe('recovery');
    expect(decide('critical', { told: { status: 'critical', sentAt: ago(3_599_999) } })).toBe('none');
    expect(decide('critical', { told: { status: 'critical', sentAt: ago(3_600_000) } })).toBe('reminder');
    expect(decide('healthy', { told: { status: 'healthy', sentAt: ago(10 * 3_600_000) } })).toBe('none');
    expect(decide('critical', { told: { status: 'healthy', sentAt: ago(1_000) }, lastAlertOfStatusAt: ago(2_000) })).toBe('suppressed');
    expect(decide('critical', { told: { status: 'healthy', sentAt: ago(1_000) }, lastAlertOfStatusAt: ago(3_600_000) })).toBe('alert');
  });
});
