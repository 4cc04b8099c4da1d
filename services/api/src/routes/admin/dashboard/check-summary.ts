import type { CheckResult } from '@ach/monitor';

/** One line per check for the table: what an operator reads first; the full details sit below it. */

const n = (value: unknown) => (typeof value === 'number' ? value.toLocaleString('en-US') : String(value ?? '–'));
const obj = (value: unknown): Record<string, unknown> => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {});
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const percent = (value: unknown) => (typeof value === 'number' ? `${(value * 100).toFixed(1)} %` : '–');

export function formatObservedValue(check: CheckResult): string {
  if (check.observedValue === null) return '–';
  if (check.checkName === 'sync_failure_rate') return percent(check.observedValue);
  // The oldest waiting job's age, in seconds.
  if (check.checkName === 'queue_health') return `${n(check.observedValue)} s`;
  return n(check.observedValue);
}

export function checkSummary(check: CheckResult): string {
  const d = check.details;
  switch (check.checkName) {
    case 'ghost_users':
    case 'orphaned_profiles': {
      const what = check.checkName === 'ghost_users' ? 'auth users without a profile' : 'profiles of soft-deleted auth users';
      const repaired = typeof d.repaired === 'number' ? `; ${n(d.repaired)} repaired by this run` : '';
      return `${n(check.observedValue)} ${what} (scope ${String(d.scope ?? 'full')})${repaired}`;
    }
    case 'auth_users_parity':
      return `auth ${n(d.total_auth_users)} vs app ${n(d.total_public_users)}${d.measured === false ? ' (carried from the last count)' : ''}`;
    case 'auth_triggers':
      return list(d.triggers)
        .map((t) => {
          const trigger = obj(t);
          return `${String(trigger.name)}: ${!trigger.present ? 'missing' : trigger.enabled ? 'enabled' : 'disabled'}`;
        })
        .join(', ');
    case 'progress_parity':
      return `${n(check.observedValue)} games whose earned count differs from their unlock rows`;
    case 'unresolved_sync_failures':
      return `${n(check.observedValue)} unresolved signup-trigger failures, ${n(d.new_since_last_run)} new since the last run`;
    case 'stuck_syncs':
      return `${list(d.requeued).length} re-enqueued, ${list(d.failed).length} closed as failed, ${n(d.quiet_with_live_job)} quiet with a live job`;
    case 'sync_failure_rate': {
      const platforms = Object.entries(obj(d.platforms)).map(([platform, v]) => {
        const p = obj(v);
        return `${platform} ${n(p.system_failed)}/${n(p.finished)}`;
      });
      return platforms.length > 0 ? `our failures / finished, 24 h: ${platforms.join(', ')}` : 'no finished syncs in 24 h';
    }
    case 'queue_health': {
      const queues = Object.entries(obj(d.queues)).map(([queue, v]) => {
        const q = obj(v);
        const counts = obj(q.counts);
        return `${queue}: ${n(counts.waiting ?? 0)} waiting, ${n(counts.failed ?? 0)} failed`;
      });
      return queues.length > 0 ? queues.join('; ') : 'no queue readings';
    }
    case 'expiring_refresh_tokens':
      return `${n(check.observedValue)} links lapse within ${n(d.within_days)} days; ${n(d.expired_last_30_days)} lapsed in the last 30`;
    default:
      return '';
  }
}
