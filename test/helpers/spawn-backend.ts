import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./backend-process.mjs', import.meta.url));

export interface BackendProcess {
  name: string;
  port: number;
  url: string;
  child: ChildProcess;
  /** Resolves when the process has exited (at once if it already has). */
  exited: Promise<void>;
  /** SIGKILL, then wait for the exit. */
  kill(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts test/helpers/backend-process.mjs as a child process on `port` (0 = ephemeral) and
 * learns the port from the first line it prints.
 */
export function spawnBackend(name: string, options: { port?: number; delayMs?: number } = {}): Promise<BackendProcess> {
  const child = spawn(process.execPath, [SCRIPT, name, String(options.port ?? 0), String(options.delayMs ?? 0)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`backend process ${name} printed no port within 10 s`)), 10_000);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    child.once('error', fail);
    const early = (code: number | null, signal: NodeJS.Signals | null): void =>
      fail(new Error(`backend process ${name} exited early (${code ?? signal}): ${out}`));
    child.once('exit', early);
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      out += chunk;
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      const line = JSON.parse(out.slice(0, nl)) as { port?: number; error?: string };
      if (!line.port) return fail(new Error(`backend process ${name} could not listen: ${line.error}`));
      clearTimeout(timer);
      child.off('exit', early);
      child.stdout!.removeAllListeners('data');
      child.stdout!.resume();
      const kill = async (): Promise<void> => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited;
      };
      resolve({ name, port: line.port, url: `http://127.0.0.1:${line.port}`, child, exited, kill, close: kill });
    });
  });
}
