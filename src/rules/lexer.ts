import { RuleError } from './types.js';

export type TokenKind = 'ident' | 'string' | '(' | ')' | ',' | '&&' | '||' | '!' | 'eof';

const isSpace = (code: number): boolean => code === 32 || code === 9 || code === 10 || code === 13;
// Words are wider than matcher names so that an unquoted argument like example.com or /api
// surfaces as one token the parser can complain about ("must be quoted") instead of a stray ".".
// A table by char code: a regexp test per character was most of the lexer's time.
const WORD_CHARS = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-:/*') WORD_CHARS[c.charCodeAt(0)] = 1;
const isWordCode = (code: number): boolean => code < 128 && WORD_CHARS[code] === 1;

/**
 * Reads a rule one token at a time: the current token is in the fields, `advance` moves on.
 * No token objects and no token list: a 10,000-router load parses 10,000 rules, and a list of
 * token objects per rule was most of what parsing allocated (bench/RESULTS.md, "Cold load,
 * third pass"). An identifier's text is sliced only when asked for (matcher names are
 * recognised in place). The previous token is kept too, for "… after X" messages.
 */
export class Lexer {
  kind: TokenKind = 'eof';
  /** 1-based column of the current token's first character. */
  column = 0;
  prevKind: TokenKind | undefined;
  private prevStart = 0;
  private prevEnd = 0;
  private prevText = '';
  /** Identifier: its span in the rule. */
  start = 0;
  end = 0;
  /** String: its decoded value. */
  private text = '';
  private pos = 0;

  constructor(readonly rule: string) {
    this.advance();
  }

  /** Identifier text, the decoded value of a string, the punctuation itself, '' at the end. */
  get value(): string {
    return this.valueOf(this.kind, this.start, this.end, this.text);
  }

  /** The previous token's value, as `value` gave it. */
  get prevValue(): string {
    return this.valueOf(this.prevKind ?? 'eof', this.prevStart, this.prevEnd, this.prevText);
  }

  advance(): void {
    if (this.column !== 0) {
      this.prevKind = this.kind;
      this.prevStart = this.start;
      this.prevEnd = this.end;
      this.prevText = this.text;
    }
    const rule = this.rule;
    let i = this.pos;
    while (i < rule.length && isSpace(rule.charCodeAt(i))) i++;
    this.column = i + 1;
    if (i >= rule.length) {
      this.kind = 'eof';
      this.pos = i;
      return;
    }
    const code = rule.charCodeAt(i);
    if (isWordCode(code)) {
      const start = i;
      while (i < rule.length && isWordCode(rule.charCodeAt(i))) i++;
      this.set('ident', i);
      this.start = start;
      this.end = i;
      return;
    }
    const c = rule[i]!;
    if (c === '`') {
      // Backticks are Go raw strings: no escapes, which is why they are the natural choice for regexps.
      const end = rule.indexOf('`', i + 1);
      if (end === -1) this.fail(i, 'unterminated string: missing closing "`"');
      this.set('string', end + 1);
      this.text = rule.slice(i + 1, end);
    } else if (c === '"') {
      this.readDoubleQuoted(i);
    } else if (c === '&' || c === '|') {
      if (rule[i + 1] !== c) this.fail(i, `unexpected "${c}" (did you mean "${c}${c}"?)`);
      this.set(c === '&' ? '&&' : '||', i + 2);
    } else if (c === '(' || c === ')' || c === ',' || c === '!') {
      this.set(c, i + 1);
    } else if (c === "'") {
      this.fail(i, `unexpected "'": quote arguments with backticks or double quotes`);
    } else {
      this.fail(i, `unexpected ${JSON.stringify(c)}`);
    }
  }

  /** The current token's kind (a call, so the type checker knows `advance` changes it). */
  peek(): TokenKind {
    return this.kind;
  }

  /** Whether the current identifier is `name`, exactly. */
  identIs(name: string): boolean {
    return this.end - this.start === name.length && this.rule.startsWith(name, this.start);
  }

  /**
   * Reads what is left of the rule, throwing the first lexical error in it. The parser calls
   * this before reporting its own error: a rule was once tokenized whole before parsing, so a
   * lexical error anywhere is what the user is told about first, and still is.
   */
  rest(): void {
    while (this.kind !== 'eof') this.advance();
  }

  private set(kind: TokenKind, next: number): void {
    this.kind = kind;
    this.pos = next;
  }

  private valueOf(kind: TokenKind, start: number, end: number, text: string): string {
    switch (kind) {
      case 'ident':
        return this.rule.slice(start, end);
      case 'string':
        return text;
      case 'eof':
        return '';
      default:
        return kind;
    }
  }

  private fail(index: number, reason: string): never {
    throw new RuleError(this.rule, index + 1, reason);
  }

  private readDoubleQuoted(open: number): void {
    const rule = this.rule;
    let value = '';
    let i = open + 1;
    while (i < rule.length) {
      const c = rule[i]!;
      if (c === '"') {
        this.set('string', i + 1);
        this.text = value;
        return;
      }
      if (c === '\\') {
        const escaped = rule[i + 1];
        if (escaped === '"' || escaped === '\\') {
          value += escaped;
          i += 2;
          continue;
        }
        // Silently keeping the backslash would make "\d" mean something different from Traefik; refuse instead.
        this.fail(
          i,
          escaped === undefined
            ? 'unterminated string: missing closing \'"\''
            : `unsupported escape "\\${escaped}" in double-quoted string (only \\" and \\\\ are allowed; use backticks for regexps)`,
        );
      }
      value += c;
      i++;
    }
    this.fail(open, 'unterminated string: missing closing \'"\'');
  }
}
