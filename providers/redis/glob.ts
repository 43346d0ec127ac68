/** Escapes Redis glob metacharacters so a root key is matched literally (`MATCH`, `PSUBSCRIBE`). */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
