/**
 * The operator page as plain HTML strings: no framework, no script, every value escaped. Pure
 * functions of what the admin queries returned, so the page is testable without a browser too.
 */
import type { ConfigSnapshot, ReloadResult } from '../config-reload.ts';
import type { DecisionSummary, OpenSla, ParkedItems } from './admin-api-queries.ts';

export function escapeHtml(v: unknown): string {
  return String(v ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const STYLE = `
  body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1d2433; background: #f6f7f9; }
  header { background: #1d2433; color: #fff; padding: 12px 24px; display: flex; gap: 24px; align-items: baseline; }
  header h1 { font-size: 18px; margin: 0; }
  main { padding: 16px 24px; }
  section { background: #fff; border: 1px solid #dde1e7; border-radius: 6px; margin-bottom: 16px; padding: 8px 16px 16px; }
  h2 { font-size: 16px; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #eceff3; vertical-align: top; }
  th { font-weight: 600; color: #52607a; }
  ul.reasons { margin: 0; padding-left: 16px; }
  .overdue { color: #b42318; font-weight: 600; }
  .ok { color: #067647; }
  .bad { color: #b42318; }
  .muted { color: #6b778c; }
  code { font-size: 12px; }
  form.login { max-width: 360px; margin: 80px auto; background: #fff; padding: 24px; border: 1px solid #dde1e7; border-radius: 6px; }
  input[type=password] { width: 100%; padding: 6px; margin: 8px 0; box-sizing: border-box; }`;

function layout(title: string, body: string, refreshSeconds?: number): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${refreshSeconds ? `<meta http-equiv="refresh" content="${refreshSeconds}">` : ''}
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>${body}</body></html>`;
}

export function renderLoginPage(opts: { failed: boolean; configured: boolean }): string {
  const note = !opts.configured
    ? '<p class="bad">The operator page is disabled until ADMIN_TOKEN is set on the server.</p>'
    : opts.failed
      ? '<p class="bad">That token was not accepted.</p>'
      : '';
  return layout(
    'Switchboard — sign in',
    `<form class="login" method="post" action="/ops/login">
  <h1>Switchboard operator page</h1>${note}
  <label for="token">Admin token (ADMIN_TOKEN)</label>
  <input id="token" name="token" type="password" autocomplete="current-password" required>
  <button type="submit">Sign in</button>
</form>`,
  );
}

/** `in 7m`, `overdue by 1h 5m`. */
export function formatTimeLeft(ms: number): string {
  const abs = Math.abs(ms);
  const m = Math.floor(abs / 60_000);
  const h = Math.floor(m / 60);
  const d = Math.floor(h / 24);
  const text =
    d > 0
      ? `${d}d ${h % 24}h`
      : h > 0
        ? `${h}h ${m % 60}m`
        : m > 0
          ? `${m}m`
          : `${Math.floor(abs / 1000)}s`;
  return ms >= 0 ? `in ${text}` : `overdue by ${text}`;
}

export interface OperatorPageData {
  now: Date;
  config: ConfigSnapshot | null;
  lastReload: ReloadResult | null;
  decisions: DecisionSummary[];
  slas: OpenSla[];
  parked: ParkedItems;
}

export function renderOperatorPage(d: OperatorPageData): string {
  const reload = d.lastReload;
  const configLine = d.config
    ? `<span>config <code>${escapeHtml(d.config.hash.slice(0, 12))}</code></span>
       <span>reviewed ${escapeHtml(d.config.reviewedOn)}</span>
       ${
         reload
           ? `<span class="${reload.result === 'rejected' ? 'bad' : 'ok'}">last reload ${escapeHtml(reload.result)} (${escapeHtml(reload.trigger)}, ${escapeHtml(reload.at)})</span>`
           : ''
       }`
    : '';
  const body = `<header><h1>Switchboard</h1>${configLine}
  <span class="muted">as of ${escapeHtml(d.now.toISOString())}</span>
  <form method="post" action="/ops/logout" style="margin-left:auto"><button type="submit">Sign out</button></form></header>
<main>
${reload?.result === 'rejected' ? `<section id="reload-error"><h2 class="bad">The last config reload was rejected — the previous config keeps serving</h2><pre>${escapeHtml(reload.error)}</pre></section>` : ''}
<section id="decisions"><h2>Recent decisions</h2>${decisionsTable(d.decisions)}</section>
<section id="slas"><h2>Open SLAs</h2>${slasTable(d.slas)}</section>
<section id="parked"><h2>Parked items</h2>${parkedTables(d.parked)}</section>
</main>`;
  return layout('Switchboard — operator', body, 30);
}

function decisionsTable(rows: DecisionSummary[]): string {
  if (rows.length === 0) return '<p class="muted">No decisions yet.</p>';
  return `<table><thead><tr><th>Decided</th><th>Lead</th><th>Lead type</th><th>Handler</th><th>Why</th><th>SLA due</th></tr></thead><tbody>
${rows
  .map(
    (r) => `<tr data-lead-id="${escapeHtml(r.leadId)}">
  <td>${escapeHtml(r.decidedAt)}</td>
  <td>#${escapeHtml(r.leadId)} ${escapeHtml(r.company ?? '')}<br><span class="muted">${escapeHtml(r.crm.system)} ${escapeHtml(r.crm.id)}</span></td>
  <td class="lead-type">${escapeHtml(r.leadType)}${r.reason === 'reroute' ? ' <span class="muted">(re-route)</span>' : ''}</td>
  <td>${escapeHtml(r.handlerName)} <span class="muted">(${escapeHtml(r.via)})</span></td>
  <td><ul class="reasons">${r.reasons.map((x) => `<li>${escapeHtml(x)}</li>`).join('')}</ul></td>
  <td>${escapeHtml(r.slaDueUtc ?? '—')}</td></tr>`,
  )
  .join('\n')}
</tbody></table>`;
}

function slasTable(rows: OpenSla[]): string {
  if (rows.length === 0) return '<p class="muted">No open SLAs.</p>';
  return `<table><thead><tr><th>Lead</th><th>Lead type</th><th>Handler</th><th>Due</th><th>Time left</th></tr></thead><tbody>
${rows
  .map(
    (
      r,
    ) => `<tr><td>#${escapeHtml(r.leadId)} ${escapeHtml(r.company ?? '')}</td><td>${escapeHtml(r.leadType)}</td>
  <td>${escapeHtml(r.handlerName)}</td><td>${escapeHtml(r.dueUtc)}</td>
  <td class="${r.timeLeftMs < 0 ? 'overdue' : ''}">${escapeHtml(formatTimeLeft(r.timeLeftMs))}</td></tr>`,
  )
  .join('\n')}
</tbody></table>`;
}

function parkedTables(p: ParkedItems): string {
  const total = p.events.length + p.crmWrites.length + p.timers.length;
  if (total === 0) return '<p class="ok">Nothing parked.</p>';
  const retryHint =
    '<p class="muted">Retry with the admin API: <code>POST /admin/inbox/:id/retry</code>, <code>POST /admin/crm-writes/:id/retry</code>, <code>POST /admin/timers/:id/retry</code>.</p>';
  const part = (title: string, head: string[], rows: string[][]) =>
    rows.length === 0
      ? ''
      : `<h3>${escapeHtml(title)}</h3><table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows
          .map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`)
          .join('')}</tbody></table>`;
  return (
    part(
      'Inbox events',
      ['Id', 'Source', 'Kind', 'Attempts', 'Last error'],
      p.events.map((e) => [e.id, e.source, e.kind, String(e.attempts), e.lastError ?? '']),
    ) +
    part(
      'CRM writes',
      ['Id', 'Lead', 'Step', 'CRM', 'Attempts', 'Last error'],
      p.crmWrites.map((w) => [
        w.id,
        `#${w.leadId}`,
        w.step,
        w.crm,
        String(w.attempts),
        w.lastError ?? '',
      ]),
    ) +
    part(
      'Timers',
      ['Id', 'Lead', 'Checkpoint', 'Status', 'Due', 'Last error'],
      p.timers.map((t) => [
        t.id,
        `#${t.leadId}`,
        t.checkpointId,
        t.status,
        t.runAt,
        t.lastError ?? '',
      ]),
    ) +
    retryHint
  );
}
