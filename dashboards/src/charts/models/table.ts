/** The statements table: its columns (the chosen fields) and cells as text. */
import type { StatementsData } from '../types';
import { fieldLabel } from '../labels';

export interface TableColumn {
  field: string;
  label: string;
}

const TIME_FIELDS = new Set(['timestamp', 'stored']);

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function tableColumns(fields: string[], labels: Record<string, string>): TableColumn[] {
  return fields.map((field) => ({ field, label: labels[field] ?? capitalise(fieldLabel(field)) }));
}

/** A time field (epoch microseconds) as an ISO date and time in UTC, to the second. */
export function formatMicros(v: number): string {
  const d = new Date(Math.floor(v / 1000));
  return Number.isNaN(d.getTime()) ? String(v) : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** The text of one cell. */
export function cellText(field: string, v: unknown): string {
  if (v === null || v === undefined || v === '') return '';
  if (TIME_FIELDS.has(field) && typeof v === 'number') return formatMicros(v);
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

export function tableRows(fields: string[], data: StatementsData): string[][] {
  return data.items.map((item) => fields.map((f) => cellText(f, item[f])));
}
