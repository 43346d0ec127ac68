// Command-line options for a benchmark part: one declaration gives parsing, defaults, number
// checks and the --help text, so every part takes its options the same way.
//
//   const opts = parseOptions('node bench/x.mjs', 'what it measures', {
//     duration: { default: 5, help: 'seconds per measured round' },     // number (checked > 0)
//     mode: { default: 'rename', choices: ['rename', 'in-place'], help: '…' }, // string
//     json: { flag: true, help: 'also print the result as one JSON line, last (for bench/suite.mjs)' },  // boolean
//   });
import { parseArgs } from 'node:util';
import { checkRows, checksTable } from './targets.mjs';

/** The options of the parts that measure with wrk in interleaved rounds (lib/rounds.mjs). */
export const wrkOptions = {
  duration: { default: 5, help: 'seconds per measured wrk run' },
  rounds: { default: 3, help: 'interleaved rounds (each target once per round); figures are medians' },
  warmup: { default: 2, zero: true, help: 'seconds of unmeasured load per target before the rounds' },
  connections: { default: 64, help: 'wrk connections (-c); wrk always runs one thread (-t1)' },
};

/** Which switchyard to measure: a single process (the default) or with workers. */
export const workersOption = { default: '1', help: 'switchyard\'s workers key (1 = one process, the default; auto = one per CPU; n)' };

export function parseOptions(command, description, partSpec, { json = true } = {}) {
  const spec = json ? { ...partSpec, json: { flag: true, help: 'also print the result as one JSON line, last (for bench/suite.mjs)' } } : partSpec;
  const options = { help: { type: 'boolean', short: 'h', default: false } };
  for (const [name, o] of Object.entries(spec)) {
    options[name] = o.flag ? { type: 'boolean', default: false } : { type: 'string', default: String(o.default ?? '') };
  }
  let values;
  try {
    ({ values } = parseArgs({ options }));
  } catch (err) {
    fail(`${err.message}\nsee: ${command} --help`);
  }
  if (values.help) {
    const lines = Object.entries(spec).map(([name, o]) => {
      const arg = o.flag ? `--${name}` : `--${name} ${o.choices ? o.choices.join('|') : (o.default ?? '')}`;
      return `  ${arg.padEnd(30)} ${o.help}`;
    });
    console.log(`usage: ${command} [options]   (after npm run build)\n\n${description}\n\noptions (defaults shown):\n${lines.join('\n')}`);
    process.exit(0);
  }
  const out = {};
  for (const [name, o] of Object.entries(spec)) {
    const text = values[name];
    if (o.flag) out[name] = text;
    else if (o.choices) {
      if (!o.choices.includes(text)) fail(`--${name} must be one of ${o.choices.join(', ')}, got ${JSON.stringify(text)}`);
      out[name] = text;
    } else if (typeof o.default === 'number') {
      const n = Number(text);
      if (!Number.isFinite(n) || n < 0 || (n === 0 && !o.zero)) fail(`--${name} must be a ${o.zero ? 'non-negative' : 'positive'} number, got ${JSON.stringify(text)}`);
      out[name] = n;
    } else out[name] = text;
  }
  return out;
}

function fail(message) {
  console.error(message);
  process.exit(2);
}

/**
 * A part's output on stdout: its tables, then its rows of issue 3's targets — or with --json, one
 * JSON line instead of those rows (the last line, which bench/suite.mjs reads into its one table;
 * the tables before it go into the suite's details).
 */
export function emit(opts, result, text) {
  process.stdout.write(`${text}\n\n`);
  process.stdout.write(opts.json ? `${JSON.stringify(result)}\n` : `${checksTable(checkRows(result.part, result))}\n`);
}
