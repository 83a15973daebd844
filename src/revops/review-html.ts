/**
 * The review as one self-contained HTML page: the markdown's tables plus hand-written inline SVG
 * charts (no script, no external asset, no chart library), so it can be mailed or attached to the
 * review meeting as a single file.
 */
import type { GroupStats, ReviewReport } from './review.ts';
import { GROUP_COLUMNS, groupCells } from './review-format.ts';

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const COLORS = ['#2563eb', '#f59e0b', '#10b981', '#ef4444'];

export interface ChartRow {
  label: string;
  values: Array<number | null>;
}

/** Horizontal grouped bars: one row per label, one bar per series. */
export function barChart(
  id: string,
  title: string,
  series: string[],
  rows: ChartRow[],
  format: (v: number) => string = String,
  max?: number,
): string {
  const labelW = 170;
  const barH = 14;
  const gap = 10;
  const width = 640;
  const plotW = width - labelW - 70;
  const rowH = series.length * barH + gap;
  const legendH = 22;
  const height = legendH + Math.max(1, rows.length) * rowH + 10;
  const top = Math.max(
    max ?? 0,
    ...rows.flatMap((r) => r.values.filter((v): v is number => v !== null)),
    1,
  );
  const parts: string[] = [];
  series.forEach((s, i) => {
    parts.push(
      `<rect x="${labelW + i * 150}" y="4" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/>`,
      `<text x="${labelW + i * 150 + 18}" y="14" font-size="12">${esc(s)}</text>`,
    );
  });
  rows.forEach((r, ri) => {
    const y0 = legendH + ri * rowH;
    parts.push(
      `<text x="${labelW - 8}" y="${y0 + (series.length * barH) / 2 + 4}" font-size="12" text-anchor="end">${esc(r.label)}</text>`,
    );
    r.values.forEach((v, si) => {
      const y = y0 + si * barH;
      if (v === null) {
        parts.push(
          `<text x="${labelW + 4}" y="${y + barH - 3}" font-size="11" fill="#6b7280">no data</text>`,
        );
        return;
      }
      const w = Math.max(1, (v / top) * plotW);
      parts.push(
        `<rect class="bar" x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH - 2}" fill="${COLORS[si % COLORS.length]}"><title>${esc(`${r.label} · ${series[si]}: ${format(v)}`)}</title></rect>`,
        `<text x="${labelW + w + 4}" y="${y + barH - 3}" font-size="11">${esc(format(v))}</text>`,
      );
    });
  });
  return `<figure><figcaption>${esc(title)}</figcaption><svg id="${id}" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(title)}">${parts.join('')}</svg></figure>`;
}

function table(title: string, groups: GroupStats[], totals: GroupStats): string {
  const head = `<tr><th>${esc(title)}</th>${GROUP_COLUMNS.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>`;
  const rows = [...groups, totals]
    .map(
      (g) =>
        `<tr><td>${esc(g.id)}</td>${groupCells(g)
          .map((c) => `<td class="n">${esc(c)}</td>`)
          .join('')}</tr>`,
    )
    .join('');
  return `<table>${head}${rows}</table>`;
}

export function formatReviewHtml(r: ReviewReport): string {
  const pct = (v: number) => `${Math.round(v)}%`;
  const charts = [
    barChart(
      'chart-volume',
      'Leads per type',
      ['leads'],
      r.byType.map((g) => ({ label: g.id, values: [g.leads] })),
    ),
    barChart(
      'chart-first-touch',
      'Time to first touch (business minutes)',
      ['p50', 'p90'],
      r.byType.map((g) => ({ label: g.id, values: [g.p50Minutes, g.p90Minutes] })),
    ),
    barChart(
      'chart-sla',
      'SLA hit rate per type',
      ['SLA hit'],
      r.byType.map((g) => ({
        label: g.id,
        values: [g.slaHitRate === null ? null : g.slaHitRate * 100],
      })),
      pct,
      100,
    ),
    barChart(
      'chart-source',
      'Conversion by source (the seed: "referrals close, paid channels don\'t")',
      ['converted', 'meeting booked'],
      r.bySource.map((g) => ({
        label: g.id,
        values: g.leads
          ? [(g.converted / g.leads) * 100, (g.meetingsBooked / g.leads) * 100]
          : [null, null],
      })),
      pct,
      100,
    ),
  ];
  const fallbacks = r.fallbacks.length
    ? `<table><tr><th>lead type</th><th>checkpoint</th><th>branch</th><th>fired</th></tr>${r.fallbacks
        .map(
          (f) =>
            `<tr><td>${esc(f.leadType)}</td><td>${esc(f.checkpoint)}</td><td>${esc(f.branch)}</td><td class="n">${f.fired}</td></tr>`,
        )
        .join('')}</table>`
    : '<p>None.</p>';
  const s = r.staleness;
  const list = (xs: string[]) =>
    xs.length ? xs.map((x) => `<code>${esc(x)}</code>`).join(', ') : 'none';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Routing review ${esc(r.since.slice(0, 10))} → ${esc(r.until.slice(0, 10))}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1000px;color:#111827;padding:0 16px}
table{border-collapse:collapse;margin:8px 0 20px}th,td{border:1px solid #d1d5db;padding:4px 8px}th{background:#f3f4f6;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}figure{margin:12px 0 24px}figcaption{font-weight:600;margin-bottom:4px}
.overdue{color:#b91c1c;font-weight:600}.findings li{margin:4px 0}
</style></head><body>
<h1>Routing review ${esc(r.since.slice(0, 10))} → ${esc(r.until.slice(0, 10))}</h1>
<p>${r.totals.leads} leads · config <code>${esc(r.configHash.slice(0, 12))}</code> · generated ${esc(r.generatedAt)}. Time to first touch is counted in business minutes on the SLA's calendar.</p>
${r.findings.length ? `<h2>Findings</h2><ul class="findings">${r.findings.map((f) => `<li>${esc(f)}</li>`).join('')}</ul>` : ''}
<h2>Charts</h2>
${charts.join('\n')}
<h2>By lead type</h2>${table('lead type', r.byType, r.totals)}
<h2>By source</h2>${table('source', r.bySource, r.totals)}
<h2>Fallbacks fired</h2>${fallbacks}
<h2>Coverage and capacity</h2>
<ul><li>Types that never matched: ${list(r.typesNeverMatched)}</li>
<li>Handlers that never got a lead: ${list(r.handlersNeverMatched)}</li>
${r.nearCaps.map((c) => `<li><code>${esc(c.pool)}/${esc(c.member)}</code> near its daily cap: peak ${c.peakDay}/${c.cap}, ${c.daysAtCap} day(s) at cap</li>`).join('')}
<li${s.overdue ? ' class="overdue"' : ''}><code>reviewed_on</code> ${esc(s.reviewedOn ?? '—')} (${s.daysSinceReview ?? '?'} days ago), <code>review_every</code> ${esc(s.reviewEvery ?? '—')}: next review due ${esc(s.dueOn ?? '—')}${s.overdue ? ' — overdue' : ''}</li></ul>
</body></html>
`;
}
