// The frame of every benchmark part: dist/ built, a temp folder, a progress logger, and everything
// stopped and removed at the end, on failure and on Ctrl-C (runMain).
import { logger, runMain, tempDir } from './processes.mjs';
import { ensureBuilt } from './switchyard.mjs';

export function runPart(name, fn) {
  return runMain(name, async () => {
    ensureBuilt();
    await fn({ dir: tempDir(`switchyard-bench-${name}`), log: logger(name) });
  });
}
