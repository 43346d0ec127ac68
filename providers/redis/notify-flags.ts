/**
 * The notify-keyspace-events flags the provider needs: K (keyspace channel), g (DEL, RENAME,
 * EXPIRE…), $ (SET and other string commands), x (expired), e (evicted). Returns the ones
 * `current` lacks, so an operator's own flags are kept ('' when nothing is missing).
 */
export function missingNotifyFlags(current: string): string {
  const has = new Set(current);
  // 'A' is Redis's alias for every event class ("g$lshzxet" and newer ones).
  const covered = (flag: string): boolean => has.has(flag) || (flag !== 'K' && flag !== 'E' && has.has('A'));
  return ['K', 'g', '$', 'x', 'e'].filter((f) => !covered(f)).join('');
}
