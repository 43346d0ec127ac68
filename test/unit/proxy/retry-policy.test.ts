import { describe, expect, it } from 'vitest';
import { isRetriable } from '../../../src/proxy/retry-policy.js';
import { UpstreamTimeoutError } from '../../../src/proxy/upstream-error.js';

const req = (method: string) => ({ method });
const err = (code: string) => Object.assign(new Error(code), { code });

describe('retry policy', () => {
  it.each([
    ['GET', err('ECONNREFUSED'), true, true],
    ['POST', err('ECONNREFUSED'), true, true],
    ['POST', new UpstreamTimeoutError('connect', 100), true, true],
    ['GET', err('ECONNRESET'), true, true],
    ['GET', err('UPSTREAM_CLOSED'), true, true],
    ['POST', err('UPSTREAM_CLOSED'), true, false],
    ['PUT', err('EPIPE'), true, true],
    ['POST', err('ECONNRESET'), true, false],
    ['PATCH', err('ECONNRESET'), true, false],
    ['GET', new UpstreamTimeoutError('response headers', 100), true, false],
    ['GET', err('ECONNREFUSED'), false, false],
    ['GET', err('EPROTO'), true, false],
  ])('%s after %s (body replayable: %s) → %s', (method, e, replayable, expected) => {
    expect(isRetriable(e, req(method), replayable)).toBe(expected);
  });
});
