// Where an executable is: PATH first, then the sbin/bin folders a non-login root shell may
// lack on PATH (Debian puts dockerd in /usr/sbin). Plain JavaScript: benches use it too.
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** Absolute path of executable `name`, or undefined when it is nowhere to be found. */
export function findBinary(name) {
  for (const dir of [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    if (!dir) continue;
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // keep looking
    }
  }
  return undefined;
}
