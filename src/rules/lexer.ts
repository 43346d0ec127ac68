import { RuleError } from './types.js';

export type TokenKind = 'ident' | 'string' | '(' | ')' | ',' | '&&' | '||' | '!' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** Identifier text, or the decoded value of a string. */
  readonly value: string;
  /** 1-based column of the token's first character. */
  readonly column: number;
}

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';
// Words are wider than matcher names so that an unquoted argument like example.com or /api
// surfaces as one token the parser can complain about ("must be quoted") instead of a stray ".".
// A table by char code: a regexp test per character was most of the lexer's time.
const WORD_CHARS = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-:/*') WORD_CHARS[c.charCodeAt(0)] = 1;
const isWordCode = (code: number): boolean => code < 128 && WORD_CHARS[code] === 1;

/** Splits a rule into tokens; the whole list is built up front because rules are short and parsed once. */
export function tokenize(rule: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (index: number, reason: string): never => {
    throw new RuleError(rule, index + 1, reason);
  };

  while (i < rule.length) {
    const c = rule[i]!;
    const column = i + 1;
    if (isSpace(c)) {
      i++;
    } else if (isWordCode(rule.charCodeAt(i))) {
      const start = i;
      while (i < rule.length && isWordCode(rule.charCodeAt(i))) i++;
      tokens.push({ kind: 'ident', value: rule.slice(start, i), column });
    } else if (c === '`') {
      // Backticks are Go raw strings: no escapes, which is why they are the natural choice for regexps.
      const end = rule.indexOf('`', i + 1);
      if (end === -1) fail(i, 'unterminated string: missing closing "`"');
      tokens.push({ kind: 'string', value: rule.slice(i + 1, end), column });
      i = end + 1;
    } else if (c === '"') {
      const [value, next] = readDoubleQuoted(rule, i, fail);
      tokens.push({ kind: 'string', value, column });
      i = next;
    } else if (c === '&' || c === '|') {
      if (rule[i + 1] !== c) fail(i, `unexpected "${c}" (did you mean "${c}${c}"?)`);
      tokens.push({ kind: c === '&' ? '&&' : '||', value: c + c, column });
      i += 2;
    } else if (c === '(' || c === ')' || c === ',' || c === '!') {
      tokens.push({ kind: c, value: c, column });
      i++;
    } else if (c === "'") {
      fail(i, `unexpected "'": quote arguments with backticks or double quotes`);
    } else {
      fail(i, `unexpected ${JSON.stringify(c)}`);
    }
  }
  tokens.push({ kind: 'eof', value: '', column: rule.length + 1 });
  return tokens;
}

function readDoubleQuoted(
  rule: string,
  open: number,
  fail: (index: number, reason: string) => never,
): [value: string, next: number] {
  let value = '';
  let i = open + 1;
  while (i < rule.length) {
    const c = rule[i]!;
    if (c === '"') return [value, i + 1];
    if (c === '\\') {
      const escaped = rule[i + 1];
      if (escaped === '"' || escaped === '\\') {
        value += escaped;
        i += 2;
        continue;
      }
      // Silently keeping the backslash would make "\d" mean something different from Traefik; refuse instead.
      fail(
        i,
        escaped === undefined
          ? 'unterminated string: missing closing \'"\''
          : `unsupported escape "\\${escaped}" in double-quoted string (only \\" and \\\\ are allowed; use backticks for regexps)`,
      );
    }
    value += c;
    i++;
  }
  return fail(open, 'unterminated string: missing closing \'"\'');
}
