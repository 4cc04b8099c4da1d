import type { AlertLogEntry, CheckResult, RecordedRunView } from '@ach/monitor';
import { checkSummary, formatObservedValue } from './check-summary.ts';
import type { DashboardData } from './dashboard-data.ts';
import { html, jsonData, type SafeHtml } from './html-template.ts';

/** The asset URLs, relative to the page that links them (the pages live at different depths). */
export interface PageAssets {
  css: readonly string[];
  js: readonly string[];
}

const utc = (date: Date) => `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

function ago(date: Date, now: Date): string {
  const s = Math.max(0, Math.round((now.getTime() - date.getTime()) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min ago`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}

const time = (date: Date, now: Date) => html`<time datetime="${date.toISOString()}" title="${utc(date)}">${utc(date)}</time> <span class="muted">(${ago(date, now)})</span>`;

const number = (value: number | null | undefined) => (value === null || value === undefined ? '–' : value.toLocaleString('en-US'));

function layout(options: { title: string; assets: PageAssets; csrfToken?: string; body: SafeHtml }): SafeHtml {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
${options.csrfToken ? html`<meta name="csrf-token" content="${options.csrfToken}">` : ''}
<title>${options.title} · achievement-sync</title>
${options.assets.css.map((href) => html`<link rel="stylesheet" href="${href}">`)}
${options.assets.js.map((src) => html`<script src="${src}" defer></script>`)}
</head>
<body>
${options.body}
</body>
</html>
`;
}

export function signInPage(options: { assets: PageAssets; error?: string }): string {
  return layout({
    title: 'Sign in',
    assets: options.assets,
    body: html`<main class="sign-in">
  <form method="post" action="sign-in" class="card" autocomplete="on">
    <h1>Data-quality dashboard</h1>
    <p class="muted">Sign in with the operations credentials (the same as Bull Board).</p>
    ${options.error ? html`<p class="error" role="alert">${options.error}</p>` : ''}
    <label>User <input name="user" autocomplete="username" required maxlength="256" autofocus></label>
    <label>Password <input name="password" type="password" autocomplete="current-password" required maxlength="1024"></label>
    <button type="submit">Sign in</button>
  </form>
</main>`,
  }).value;
}

function statusCard(latest: RecordedRunView | undefined, now: Date): SafeHtml {
  if (!latest) {
    return html`<section class="status status-unknown" id="status-card" aria-label="Overall status">
  <p class="status-label">No quality check recorded yet</p>
  <p>Run one now, or wait for the monitor's schedule.</p>
</section>`;
  }
  return html`<section class="status status-${latest.status}" id="status-card" aria-label="Overall status">
  <p class="status-label" id="overall-status">${latest.status}</p>
  <p>Last run ${time(latest.runAt, now)} · ${latest.checkType}${latest.durationMs !== null ? ` · ${number(latest.durationMs)} ms` : ''}</p>
  <p class="muted">Last full run: ${latest.lastFullRunAt ? time(latest.lastFullRunAt, now) : 'none yet'}</p>
</section>`;
}

function figures(data: DashboardData): SafeHtml {
  const latest = data.latest;
  const figure = (label: string, value: number | null | undefined, tone: 'bad' | 'plain' = 'plain') =>
    html`<div class="figure${tone === 'bad' && (value ?? 0) > 0 ? ' figure-bad' : ''}"><span class="figure-value">${number(value)}</span><span class="figure-label">${label}</span></div>`;
  return html`<section aria-labelledby="figures-title">
  <h2 id="figures-title">Key figures</h2>
  <div class="figures" id="figures">
    ${figure('auth users', latest?.totalAuthUsers)}
    ${figure('app users', latest?.totalPublicUsers)}
    ${figure('ghost users', latest?.ghostUsers, 'bad')}
    ${figure('orphaned profiles', latest?.orphanedProfiles, 'bad')}
    ${figure('parity breaches', data.parityBreaches, 'bad')}
  </div>
</section>`;
}

function syncTable(data: DashboardData): SafeHtml {
  const { platforms, statuses, counts } = data.syncs;
  return html`<section aria-labelledby="syncs-title">
  <h2 id="syncs-title">Syncs, last 24 h</h2>
  ${platforms.length === 0
    ? html`<p class="muted">No syncs finished in the last 24 hours, none running.</p>`
    : html`<div class="table-wrap"><table id="syncs-table">
    <thead><tr><th scope="col">platform</th>${statuses.map((s) => html`<th scope="col" class="num">${s}</th>`)}</tr></thead>
    <tbody>${platforms.map((p) => html`<tr><th scope="row">${p}</th>${statuses.map((s) => html`<td class="num${s === 'failed' && (counts[p]?.[s] ?? 0) > 0 ? ' bad' : ''}">${number(counts[p]?.[s] ?? 0)}</td>`)}</tr>`)}</tbody>
  </table></div>`}
</section>`;
}

function checkRow(check: CheckResult): SafeHtml {
  const details = JSON.stringify(check.details, null, 2);
  return html`<tr data-check="${check.checkName}" class="check-${check.status}">
  <th scope="row">${check.checkName}</th>
  <td><span class="badge badge-${check.status}">${check.status}</span></td>
  <td data-label="severity">${check.severity}</td>
  <td class="num" data-label="value">${formatObservedValue(check)}</td>
  <td class="summary">${checkSummary(check)}<details><summary>details</summary><pre>${details.length > 4_000 ? `${details.slice(0, 4_000)}\n…` : details}</pre></details></td>
</tr>`;
}

function checksTable(latest: RecordedRunView | undefined): SafeHtml {
  return html`<section aria-labelledby="checks-title">
  <h2 id="checks-title">Latest checks</h2>
  ${latest
    ? html`<div class="table-wrap"><table id="checks-table">
    <thead><tr><th scope="col">check</th><th scope="col">status</th><th scope="col">severity</th><th scope="col" class="num">value</th><th scope="col">finding</th></tr></thead>
    <tbody>${latest.checks.map(checkRow)}</tbody>
  </table></div>`
    : html`<p class="muted" id="checks-table">No checks recorded yet.</p>`}
</section>`;
}

function alertsTable(alerts: readonly AlertLogEntry[], now: Date): SafeHtml {
  return html`<section aria-labelledby="alerts-title">
  <h2 id="alerts-title">Recent alerts</h2>
  ${alerts.length === 0
    ? html`<p class="muted">No alerts sent yet.</p>`
    : html`<div class="table-wrap"><table id="alerts-table">
    <thead><tr><th scope="col">sent</th><th scope="col">kind</th><th scope="col">status</th><th scope="col">summary</th><th scope="col">delivered</th></tr></thead>
    <tbody>${alerts.map((a) => html`<tr>
      <td data-label="sent">${time(a.sentAt, now)}</td>
      <td data-label="kind">${a.kind}</td>
      <td data-label="status">${a.previousStatus ? `${a.previousStatus} → ` : ''}<span class="badge badge-${a.status}">${a.status}</span></td>
      <td class="summary">${a.summary}</td>
      <td data-label="delivered">${Object.keys(a.deliveries).length === 0 ? html`<span class="muted">logged only</span>` : Object.entries(a.deliveries).map(([channel, d]) => html`<span class="badge badge-${d.ok ? 'pass' : 'fail'}">${channel}: ${d.ok ? 'sent' : 'failed'}</span> `)}</td>
    </tr>`)}</tbody>
  </table></div>`}
</section>`;
}

export function dashboardPage(options: { data: DashboardData; csrfToken: string; user: string; assets: PageAssets; now: Date }): string {
  const { data, now } = options;
  return layout({
    title: 'Data quality',
    assets: options.assets,
    csrfToken: options.csrfToken,
    body: html`<header class="top">
  <h1>Data quality</h1>
  <nav>
    <a href="queues">Queues</a>
    <form method="post" action="dashboard/sign-out" class="inline">
      <input type="hidden" name="csrf" value="${options.csrfToken}">
      <button type="submit" class="link">Sign out ${options.user}</button>
    </form>
  </nav>
</header>
<main class="dashboard">
  ${statusCard(data.latest, now)}
  <section class="actions" aria-label="Actions">
    <button type="button" data-action="run" id="run-check">Run check now</button>
    <button type="button" data-action="backfill-dry" id="backfill-dry">Backfill ghost users: dry run</button>
    <button type="button" data-action="backfill-real" id="backfill-real" class="danger">Backfill ghost users: repair</button>
    <div id="action-result" role="status" aria-live="polite"></div>
  </section>
  ${figures(data)}
  ${syncTable(data)}
  <section aria-labelledby="history-title">
    <h2 id="history-title">Last 30 days</h2>
    <div id="history-chart" class="chart" data-empty="${data.history.t.length === 0 ? 'true' : 'false'}"></div>
    <p class="muted chart-note">Per hour: the worst overall status (right axis), the most ghost users, orphaned profiles and failing checks of its runs.</p>
    ${jsonData('history-data', data.history)}
  </section>
  ${checksTable(data.latest)}
  ${alertsTable(data.alerts, now)}
</main>`,
  }).value;
}
