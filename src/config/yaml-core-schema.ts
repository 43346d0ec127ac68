import { FAILSAFE_SCHEMA, Type, type Schema } from 'js-yaml';

/**
 * The YAML 1.2 core schema exactly as the `yaml` library (v2) resolves plain scalars, for
 * js-yaml. Dynamic files used to be read with `yaml`; js-yaml's own CORE_SCHEMA differs on a
 * few scalars (`0b101`, `-0x1`, `+0o7` are numbers there and strings in `yaml`; `-.5` is a
 * string there and a number in `yaml`), and its DEFAULT_SCHEMA adds timestamps (`2001-12-14`
 * → Date) and `<<` merge keys that `yaml` 1.2 does not have. The regular expressions below
 * are `yaml`'s (dist/schema/core/*.js), so a value reads the same as before the switch.
 */

const NULL = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT_DEC = /^[-+]?[0-9]+$/;
const INT_OCT = /^0o[0-7]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT_SPECIAL = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;

const nullType = new Type('tag:yaml.org,2002:null', {
  kind: 'scalar',
  resolve: (data: string | null) => data === null || NULL.test(data),
  construct: () => null,
});

const boolType = new Type('tag:yaml.org,2002:bool', {
  kind: 'scalar',
  resolve: (data: string | null) => data !== null && BOOL.test(data),
  construct: (data: string) => data[0] === 't' || data[0] === 'T',
});

const intType = new Type('tag:yaml.org,2002:int', {
  kind: 'scalar',
  resolve: (data: string | null) => data !== null && (INT_DEC.test(data) || INT_OCT.test(data) || INT_HEX.test(data)),
  construct: (data: string) =>
    data.startsWith('0o') ? parseInt(data.slice(2), 8) : data.startsWith('0x') ? parseInt(data.slice(2), 16) : parseInt(data, 10),
});

const floatType = new Type('tag:yaml.org,2002:float', {
  kind: 'scalar',
  resolve: (data: string | null) => data !== null && (FLOAT.test(data) || FLOAT_SPECIAL.test(data)),
  construct: (data: string) => {
    if (!FLOAT_SPECIAL.test(data)) return parseFloat(data);
    if (data.slice(-3).toLowerCase() === 'nan') return NaN;
    return data[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  },
});

/**
 * `yaml` keeps the value of a node with a local tag it does not know (`!foo x` → "x", with a
 * warning); js-yaml would reject the file. A multi type matches every tag starting with `!`.
 */
const localTags = (['scalar', 'sequence', 'mapping'] as const).map(
  (kind) => new Type('!', { kind, multi: true, construct: (data: unknown) => data ?? (kind === 'scalar' ? '' : kind === 'mapping' ? {} : []) }),
);

/** Order matters as in `yaml`: null, bool, int, float; anything else stays a string. */
export const YAML_CORE_SCHEMA: Schema = FAILSAFE_SCHEMA.extend({
  implicit: [nullType, boolType, intType, floatType],
  explicit: localTags,
});
