import type { AccessDashboardService } from '../access-dashboard/access-dashboard.service';
import type { DashboardQueries } from '../dashboard/dashboard-queries';
import type { PrivacyRequestsService } from '../privacy-requests/privacy-requests.service';
import { escapeHtml as h } from '../shared/web-pages';
import { barChart, dayChart, daysBetween, type Series } from './console-charts';

type Awaited2<T> = T extends Promise<infer U> ? U : T;

/** Everything the console shows, as the dashboard queries return it (one source). */
export interface ConsoleData {
  from: string;
  to: string;
  consents: Awaited2<ReturnType<DashboardQueries['consents']>>;
  anomalies: Awaited2<ReturnType<DashboardQueries['anomalies']>>;
  exports: Awaited2<ReturnType<DashboardQueries['exports']>>;
  incidents: Awaited2<ReturnType<DashboardQueries['incidents']>>;
  requests: Awaited2<ReturnType<PrivacyRequestsService['counts']>>;
  access: Awaited2<ReturnType<AccessDashboardService['access']>>;
  consentTrend: Awaited2<ReturnType<AccessDashboardService['consentTrend']>>;
}

export interface ConsoleFrame {
  controllerName: string;
  /** The signed-in actor and role; absent on the sign-in page. */
  actor?: { id: string; role: string; expiresAt: string };
  csrf?: string;
}

export function layout(frame: ConsoleFrame, title: string, main: string): string {
  const signOut =
    frame.actor && frame.csrf
      ? `<div class="who"><span>${h(frame.actor.id)} · ${h(frame.actor.role)}</span><form method="post" action="/console/sign-out"><input type="hidden" name="csrf" value="${h(
          frame.csrf,
        )}"><button type="submit" class="secondary">Sign out</button></form></div>`
      : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${h(title)} · Compliance console · ${h(frame.controllerName)}</title>
<link rel="stylesheet" href="/console/assets/console.css">
${frame.actor ? '<script src="/console/assets/console.js" defer></script>' : ''}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top"><div class="bar"><p class="brand">${h(
    frame.controllerName,
  )} · Compliance console</p>${signOut}</div></header>
<main id="main" tabindex="-1">
<h1>${h(title)}</h1>
${main}
</main>
</body>
</html>`;
}

export function signInPage(
  frame: ConsoleFrame,
  csrf: string,
  notice?: { kind: 'info' | 'warn'; text: string },
  problems: Array<{ field: string; problem: string }> = [],
): string {
  const note = notice
    ? `<p class="note ${notice.kind}" role="${notice.kind === 'warn' ? 'alert' : 'status'}">${h(
        notice.text,
      )}</p>`
    : '';
  const list = problems.length
    ? `<ul class="problems">${problems
        .map((p) => `<li><strong>${h(p.field)}</strong>: ${h(p.problem)}</li>`)
        .join('')}</ul>`
    : '';
  return layout(
    frame,
    'Sign in',
    `${note}${list}<form method="post" action="/console/sign-in" class="sign-in">
<input type="hidden" name="csrf" value="${h(csrf)}">
<p><label for="token">API key or JWT</label>
<input id="token" name="token" type="password" autocomplete="off" required maxlength="4096" spellcheck="false"></p>
<p><label for="role">Role <span class="hint">(optional: dpo, admin or dashboard)</span></label>
<input id="role" name="role" type="text" autocomplete="off" maxlength="32" spellcheck="false"></p>
<p><button type="submit" class="primary">Sign in</button></p>
</form>
<p class="hint">The key is exchanged for a session of 15 minutes; it is not stored in the browser.</p>`,
  );
}

export function messagePage(
  frame: ConsoleFrame,
  title: string,
  text: string,
  status = true,
): string {
  return layout(
    frame,
    title,
    `<p class="note ${status ? 'info' : 'warn'}">${h(text)}</p><p><a href="/console/sign-in">Sign in</a></p>`,
  );
}

const CONSENT_SERIES: Series[] = [
  { key: 'granted', name: 'Granted', color: '#1b7a3a' },
  { key: 'revoked', name: 'Revoked', color: '#b3261e' },
  { key: 'expired', name: 'Expired', color: '#8a5a00' },
  { key: 'stale', name: 'Stale notice', color: '#5b4b9f' },
];
const ONE = (name: string, color = '#0b4fa8'): Series[] => [{ key: 'count', name, color }];

/** The consent rate: granted of all asked (granted, revoked, expired, stale); null when none. */
export function consentRate(counts: {
  granted: number;
  revoked: number;
  expired: number;
  stale: number;
}): number | null {
  const asked = counts.granted + counts.revoked + counts.expired + counts.stale;
  return asked === 0 ? null : Math.round((counts.granted / asked) * 1000) / 10;
}

function table(
  id: string,
  caption: string,
  columns: string[],
  rows: Array<{ key: string; cells: Array<string | number | null> }>,
): string {
  const head = columns.map((c) => `<th scope="col">${h(c)}</th>`).join('');
  const body = rows.length
    ? rows
        .map(
          (r) =>
            `<tr data-key="${h(r.key)}"><th scope="row" data-label="${h(columns[0])}">${h(
              r.cells[0],
            )}</th>${r.cells
              .slice(1)
              .map((c, i) => `<td data-label="${h(columns[i + 1])}">${h(c)}</td>`)
              .join('')}</tr>`,
        )
        .join('')
    : `<tr><td colspan="${columns.length}">None</td></tr>`;
  return `<details class="numbers"><summary>${h(caption)}: the numbers</summary><div class="table" role="region" tabindex="0" aria-label="${h(caption)}"><table data-table="${h(
    id,
  )}"><caption class="visually-hidden">${h(caption)}</caption><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div></details>`;
}

function panel(id: string, title: string, summary: string, chart: string, tables: string): string {
  return `<section class="panel" id="panel-${h(id)}" aria-labelledby="h-${h(id)}" data-panel="${h(
    id,
  )}"><h2 id="h-${h(id)}">${h(title)}</h2><p class="summary">${summary}</p>${chart}${tables}</section>`;
}

export function consolePage(frame: ConsoleFrame, data: ConsoleData): string {
  const { consents, anomalies, exports, incidents, requests, access, consentTrend } = data;
  const days = daysBetween(data.from, data.to);

  const consentRows = consents.purposes.map((p) => ({
    key: p.purposeId,
    rate: consentRate(p.counts),
    counts: p.counts,
    title: p.title,
  }));
  const consentPanel = panel(
    'consents',
    'Consent rate per purpose',
    `${consentRows.length} purposes; granted of all asked, as of ${h(consents.at.slice(0, 16).replace('T', ' '))} UTC.`,
    barChart(
      consentRows.map((r) => ({
        label: r.key,
        values: CONSENT_SERIES.map((s) => r.counts[s.key as keyof typeof r.counts]),
        note: r.rate === null ? '–' : `${r.rate}%`,
      })),
      CONSENT_SERIES,
      'No purposes yet.',
    ),
    table(
      'consents',
      'Consent per purpose',
      ['Purpose', 'Rate %', 'Granted', 'Revoked', 'Expired', 'Stale', 'Erased'],
      consentRows.map((r) => ({
        key: r.key,
        cells: [
          r.key,
          r.rate === null ? '–' : r.rate,
          r.counts.granted,
          r.counts.revoked,
          r.counts.expired,
          r.counts.stale,
          r.counts.erased,
        ],
      })),
    ),
  );

  const anomalyPanel = panel(
    'anomalies',
    'Anomalies and suspended actors',
    `<strong data-total="anomalies">${anomalies.total}</strong> anomalies from ${h(anomalies.from)} to ${h(
      anomalies.to,
    )}; <strong data-total="suspended">${anomalies.suspendedActors.length}</strong> ${
      anomalies.suspendedActors.length === 1 ? 'actor' : 'actors'
    } suspended.`,
    dayChart(
      days,
      new Map(anomalies.byDay.map((d) => [d.day, d.count])),
      '#b3261e',
      'No days in the range.',
    ) +
      barChart(
        anomalies.byRule.map((r) => ({ label: r.ruleId, values: [r.count] })),
        ONE('Anomalies', '#b3261e'),
        'No anomalies in the range.',
      ),
    table(
      'anomalies-by-day',
      'Anomalies per day',
      ['Day', 'Anomalies'],
      anomalies.byDay.map((d) => ({ key: d.day, cells: [d.day, d.count] })),
    ) +
      table(
        'anomalies-by-rule',
        'Anomalies per rule',
        ['Rule', 'Anomalies'],
        anomalies.byRule.map((r) => ({ key: r.ruleId, cells: [r.ruleId, r.count] })),
      ) +
      table(
        'suspended',
        'Suspended actors',
        ['Actor', 'Since', 'By'],
        anomalies.suspendedActors.map((s) => ({
          key: s.actorId,
          cells: [s.actorId, s.since, s.by],
        })),
      ),
  );

  const statuses = Object.entries(exports.byStatus);
  const exportPanel = panel(
    'exports',
    'Exports',
    `<strong data-total="awaiting">${exports.awaitingApproval.length}</strong> awaiting approval; ${statuses.reduce(
      (a, [, n]) => a + n,
      0,
    )} requested from ${h(exports.from)} to ${h(exports.to)}.`,
    barChart(
      statuses.map(([status, count]) => ({ label: status.replace(/_/g, ' '), values: [count] })),
      ONE('Exports'),
      'No exports in the range.',
    ),
    table(
      'exports-by-status',
      'Exports per status',
      ['Status', 'Exports'],
      statuses.map(([status, count]) => ({ key: status, cells: [status, count] })),
    ) +
      table(
        'awaiting',
        'Exports awaiting approval',
        ['Export', 'Requested by', 'Purpose', 'Customers', 'Requested at'],
        exports.awaitingApproval.map((e) => ({
          key: e.exportId,
          cells: [e.exportId, e.requestedBy, e.purposeId, e.customers, e.requestedAt],
        })),
      ),
  );

  const incidentPanel = panel(
    'incidents',
    'Incidents',
    `<strong data-total="incidents-open">${incidents.open}</strong> open, of which <strong>${incidents.overdue}</strong> with a notification overdue; ${incidents.closed} closed.`,
    barChart(
      [
        { label: 'open, on time', values: [incidents.open - incidents.overdue, 0] },
        { label: 'open, overdue', values: [0, incidents.overdue] },
        { label: 'closed', values: [incidents.closed, 0] },
      ],
      [
        { key: 'ok', name: 'On time or closed', color: '#0b4fa8' },
        { key: 'late', name: 'Overdue', color: '#b3261e' },
      ],
      '',
    ),
    table(
      'incidents',
      'Incidents',
      ['State', 'Incidents'],
      [
        { key: 'open', cells: ['open', incidents.open] },
        { key: 'overdue', cells: ['overdue', incidents.overdue] },
        { key: 'closed', cells: ['closed', incidents.closed] },
      ],
    ),
  );

  const requestPanel = panel(
    'requests',
    'Privacy requests',
    `<strong data-total="requests-open">${requests.open}</strong> open, of which <strong>${requests.overdue}</strong> overdue.`,
    barChart(
      requests.byKind.map((k) => ({
        label: k.kind,
        values: [k.open - k.overdue, k.overdue],
        note: `${k.open}`,
      })),
      [
        { key: 'open', name: 'Open, on time', color: '#0b4fa8' },
        { key: 'overdue', name: 'Overdue', color: '#b3261e' },
      ],
      '',
    ),
    table(
      'requests',
      'Open privacy requests per kind',
      ['Kind', 'Open', 'Overdue'],
      requests.byKind.map((k) => ({ key: k.kind, cells: [k.kind, k.open, k.overdue] })),
    ),
  );

  const roleTotals = new Map<string, { reads: number; refusals: number; withoutConsent: number }>();
  for (const day of access.days)
    for (const r of day.byRole) {
      const total = roleTotals.get(r.role) ?? { reads: 0, refusals: 0, withoutConsent: 0 };
      total.reads += r.reads;
      total.refusals += r.refusals;
      total.withoutConsent += r.withoutConsent;
      roleTotals.set(r.role, total);
    }
  const accessPanel = panel(
    'access',
    'Access by role',
    `<strong data-total="reads">${access.totals.reads}</strong> reads, <strong>${access.totals.refusals}</strong> refusals and <strong>${access.totals.withoutConsent}</strong> reads without consent from ${h(access.from)} to ${h(access.to)}.`,
    dayChart(
      days,
      new Map(access.days.map((d) => [d.day, d.reads + d.refusals])),
      '#0b4fa8',
      'No days in the range.',
    ) +
      barChart(
        [...roleTotals].map(([role, t]) => ({
          label: role,
          values: [t.reads - t.withoutConsent, t.withoutConsent, t.refusals],
        })),
        [
          { key: 'reads', name: 'Reads', color: '#0b4fa8' },
          { key: 'withoutConsent', name: 'Without consent', color: '#8a5a00' },
          { key: 'refusals', name: 'Refused', color: '#b3261e' },
        ],
        'No reads in the range.',
      ),
    table(
      'access',
      'Access per day and role',
      ['Day · role', 'Reads', 'Refusals', 'Without consent', 'Customers'],
      access.days.flatMap((d) =>
        d.byRole.map((r) => ({
          key: `${d.day}/${r.role}`,
          cells: [`${d.day} · ${r.role}`, r.reads, r.refusals, r.withoutConsent, r.customers],
        })),
      ),
    ),
  );

  const trendPerDay = (pick: (p: { granted: number; revocations: { total: number } }) => number) =>
    new Map(consentTrend.days.map((d) => [d.day, d.purposes.reduce((sum, p) => sum + pick(p), 0)]));
  const trendPanel = panel(
    'trend',
    'Consent decisions over time',
    `Grants and revocations per day from ${h(consentTrend.from)} to ${h(consentTrend.to)}; the rate is granted of all decisions that day.`,
    `<h3 class="chart-title">Granted per day</h3>${dayChart(
      days,
      trendPerDay((p) => p.granted),
      '#1b7a3a',
      'No days in the range.',
    )}<h3 class="chart-title">Revoked per day</h3>${dayChart(
      days,
      trendPerDay((p) => p.revocations.total),
      '#b3261e',
      'No days in the range.',
    )}`,
    table(
      'trend',
      'Consent decisions per day and purpose',
      ['Day · purpose', 'Asked', 'Granted', 'Rate %', 'Revoked'],
      consentTrend.days.flatMap((d) =>
        d.purposes.map((p) => ({
          key: `${d.day}/${p.purposeId}`,
          cells: [
            `${d.day} · ${p.purposeId}`,
            p.asked,
            p.granted,
            Math.round(p.rate * 1000) / 10,
            p.revocations.total,
          ],
        })),
      ),
    ),
  );

  const range = `<form method="get" action="/console" class="range"><p><label for="from">From</label><input id="from" name="from" type="date" value="${h(
    data.from,
  )}"></p><p><label for="to">To</label><input id="to" name="to" type="date" value="${h(
    data.to,
  )}"></p><p><button type="submit" class="secondary">Show</button></p></form>`;
  return layout(
    frame,
    'Compliance overview',
    `${range}<p class="live" id="live" role="status" aria-live="polite">Range ${h(data.from)} to ${h(
      data.to,
    )} (UTC days).</p><div id="panels" class="panels">${consentPanel}${accessPanel}${trendPanel}${anomalyPanel}${exportPanel}${incidentPanel}${requestPanel}</div>`,
  );
}
