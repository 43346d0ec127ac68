import type { ItemReport } from '../config/dynamic-config.js';

/** What the admin API shows of an item's status report. */
export interface ReportView {
  status: ItemReport['status'];
  provider: string;
  errors: string[];
  config: unknown;
  origin?: string;
}

/**
 * A report's own fields only, picked by name: a valid item's report is its validation-cache
 * entry too (config/validate.ts), whose bookkeeping (the raw item, the round) is not for users.
 */
export function reportView(r: ItemReport): ReportView {
  const view: ReportView = { status: r.status, provider: r.provider, errors: r.errors, config: r.config };
  if (r.origin) view.origin = r.origin;
  return view;
}

/** Every report of a section, by qualified name (as /api/rawdata shows them). */
export function reportsView(reports: ReadonlyMap<string, ItemReport>): Record<string, ReportView> {
  const out: Record<string, ReportView> = {};
  for (const [name, r] of reports) out[name] = reportView(r);
  return out;
}
