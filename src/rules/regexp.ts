/**
 * Translates the Go RE2 spellings people copy from Traefik docs into a JS RegExp.
 * Throws a plain Error whose message is the reason; callers attach the position.
 */
export function compileRegexp(source: string, alwaysIgnoreCase = false): RegExp {
  let flags = alwaysIgnoreCase ? 'i' : '';
  let body = source;

  // JS has no inline flag groups, so a leading one is lifted into RegExp flags.
  const inline = /^\(\?([a-zA-Z]+)\)/.exec(body);
  if (inline) {
    for (const f of inline[1]!) {
      if (f !== 'i' && f !== 'm' && f !== 's') {
        throw new Error(`inline flag "${f}" in "(?${inline[1]})" is not supported (only i, m and s)`);
      }
      if (!flags.includes(f)) flags += f;
    }
    body = body.slice(inline[0].length);
  }

  // Traefik v2 placeholders would silently compile as literal braces in JS and never match.
  const placeholder = /\{[A-Za-z_][A-Za-z0-9_]*:/.exec(body);
  if (placeholder) {
    throw new Error(
      `"${placeholder[0]}...}" is a Traefik v2 placeholder; write a plain regexp instead (e.g. ^[a-z]+\\.example\\.com$)`,
    );
  }

  body = body.replace(/\(\?P</g, '(?<');
  try {
    return new RegExp(body, flags);
  } catch (err) {
    throw new Error(`invalid regexp ${JSON.stringify(source)}: ${(err as Error).message}`);
  }
}
