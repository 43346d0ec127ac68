// Figures → text: medians, number formats and aligned markdown tables, shared by parts and suite.
import os from 'node:os';

export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

export const fmtInt = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
export const fmtMs = (n) => (Number.isFinite(n) ? `${n < 10 ? n.toFixed(2) : n.toFixed(1)} ms` : 'n/a');
export const fmtRatio = (n) => (Number.isFinite(n) ? `${n.toFixed(2)}×` : 'n/a');
export const fmtKiB = (n) => (Number.isFinite(n) ? `${n.toFixed(1)} KiB` : 'n/a');

/** Markdown table with padded columns; `align` is a string like 'lrrr' (left/right per column). */
export function table(header, rows, align = 'l'.padEnd(header.length, 'r')) {
  const cells = [header, ...rows].map((r) => r.map((c) => String(c ?? '')));
  const widths = header.map((_, i) => Math.max(3, ...cells.map((r) => r[i].length)));
  const pad = (c, i) => (align[i] === 'r' ? c.padStart(widths[i]) : c.padEnd(widths[i]));
  const line = (r) => `| ${r.map(pad).join(' | ')} |`;
  const sep = `|${widths.map((w, i) => (align[i] === 'r' ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(cells[0]), sep, ...cells.slice(1).map(line)].join('\n');
}

/** One line naming the machine, for every part's header (figures only compare within a run). */
export function machineLine() {
  const cpu = os.cpus()[0]?.model.trim() ?? '?';
  return `node ${process.version}; ${os.cpus().length} CPUs (${cpu}); 1-min load average ${os.loadavg()[0].toFixed(2)}`;
}

/** The first markdown table in `text` whose header row passes `test`: { header, rows } of trimmed cells. */
export function readTable(text, test = () => true) {
  const lines = text.split('\n');
  const cells = (line) => line.trim().replace(/^\||\|$/g, '').split('|').map((c) => c.trim());
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!lines[i].trim().startsWith('|') || !/^\|[\s:|-]+\|$/.test(lines[i + 1].trim()) || !test(cells(lines[i]))) continue;
    const rows = [];
    for (let j = i + 2; j < lines.length && lines[j].trim().startsWith('|'); j++) rows.push(cells(lines[j]));
    return { header: cells(lines[i]), rows };
  }
  return undefined;
}
