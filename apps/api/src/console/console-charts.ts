import { escapeHtml as h } from '../shared/web-pages';

/**
 * Server-rendered charts for the console: plain HTML rows with SVG bars (no script, no
 * library), readable at phone width because the labels are HTML text, not scaled SVG. The
 * charts are pictures (hidden from screen readers); each panel carries its numbers as a table.
 */

export interface Series {
  key: string;
  name: string;
  /** A fill with at least 3:1 contrast against white. */
  color: string;
}

export interface ChartRow {
  label: string;
  values: number[];
  /** Text after the bar (default: the sum of the values). */
  note?: string;
}

/** A legend naming each series with its colour. */
export function legend(series: Series[]): string {
  if (series.length < 2) return '';
  return `<ul class="legend" aria-hidden="true">${series
    .map(
      (s) =>
        `<li><svg class="swatch" viewBox="0 0 10 10" width="12" height="12"><rect width="10" height="10" fill="${h(
          s.color,
        )}"/></svg>${h(s.name)}</li>`,
    )
    .join('')}</ul>`;
}

/** Horizontal bars, one per row, each stacked from the series' values; scaled to the largest row. */
export function barChart(rows: ChartRow[], series: Series[], empty: string): string {
  const max = Math.max(0, ...rows.map((r) => sum(r.values)));
  if (rows.length === 0) return `<p class="empty">${h(empty)}</p>`;
  const body = rows
    .map((row) => {
      let x = 0;
      const rects = row.values
        .map((value, i) => {
          const width = max === 0 ? 0 : (value / max) * 100;
          const rect =
            width > 0
              ? `<rect x="${fmt(x)}" y="0" width="${fmt(width)}" height="10" fill="${h(
                  series[i].color,
                )}"/>`
              : '';
          x += width;
          return rect;
        })
        .join('');
      return `<div class="bar-row"><span class="bar-label">${h(row.label)}</span><svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" focusable="false"><rect width="100" height="10" fill="#eef1f5"/>${rects}</svg><span class="bar-value">${h(
        row.note ?? String(sum(row.values)),
      )}</span></div>`;
    })
    .join('');
  return `<div class="chart" aria-hidden="true">${legend(series)}${body}</div>`;
}

/** Columns per day across the range (days without a value show as zero). */
export function dayChart(
  days: string[],
  values: Map<string, number>,
  color: string,
  empty: string,
): string {
  const max = Math.max(0, ...days.map((d) => values.get(d) ?? 0));
  if (days.length === 0) return `<p class="empty">${h(empty)}</p>`;
  const w = 10;
  const columns = days
    .map((day, i) => {
      const value = values.get(day) ?? 0;
      const height = max === 0 ? 0 : (value / max) * 96;
      return height > 0
        ? `<rect x="${i * w + 1}" y="${fmt(100 - height)}" width="${w - 2}" height="${fmt(
            height,
          )}" fill="${h(color)}"/>`
        : '';
    })
    .join('');
  return `<div class="chart" aria-hidden="true"><div class="day-chart"><span class="axis-max">${max}</span><svg class="days" viewBox="0 0 ${
    days.length * w
  } 100" preserveAspectRatio="none" focusable="false"><line x1="0" y1="99.5" x2="${
    days.length * w
  }" y2="99.5" stroke="#6b7280" stroke-width="1"/>${columns}</svg></div><div class="day-axis"><span>${h(
    days[0],
  )}</span><span>${h(days[days.length - 1])}</span></div></div>`;
}

/** Every UTC day from `from` to `to`, inclusive. */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (
    let t = Date.parse(`${from}T00:00:00Z`);
    t <= Date.parse(`${to}T00:00:00Z`) && days.length < 400;
    t += 86_400_000
  )
    days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const fmt = (n: number) => String(Math.round(n * 100) / 100);
