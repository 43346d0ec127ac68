import type { Document, LineCounter } from 'yaml';
export function originsOf(doc: Document, lines: LineCounter, label: string): Record<string, string>;
export function referenceParse(text: string, label: string): { doc: Document; lines: LineCounter; origins: () => Record<string, string> };
