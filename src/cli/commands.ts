import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { runServe } from './serve.js';
import { runValidate } from './validate.js';

/** Our package.json, found upwards from this file (dist/src/cli/, or dist/bundle/ when bundled). */
function packageVersion(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'switchyard') return pkg.version;
    }
    if (path.dirname(dir) === dir) return 'unknown';
  }
}
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

const program = new Command()
  .name('switchyard')
  .description('Dynamic service-discovery load balancer and reverse proxy')
  .version(packageVersion(), '-v, --version')
  .option('-c, --config <file>', 'static config file (YAML)', 'switchyard.yaml')
  .addOption(new Option('--log-level <level>', 'overrides log.level of the config').choices(LEVELS))
  .action(async (opts: { config: string; logLevel?: string }) => {
    process.exitCode = await runServe(opts.config, opts.logLevel);
  });

program
  .command('validate')
  .description('check the static config and the file provider\'s dynamic files; print every error; exit 1 on any')
  .option('-c, --config <file>', 'static config file (YAML)', 'switchyard.yaml')
  .action(async (opts: { config: string }) => {
    // Options may be given before the subcommand too: `switchyard -c x.yaml validate`.
    const file = opts.config !== 'switchyard.yaml' ? opts.config : (program.opts<{ config: string }>().config ?? opts.config);
    process.exitCode = await runValidate(file);
  });

void program.parseAsync(process.argv);
