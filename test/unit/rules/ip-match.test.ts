import { describe, expect, it } from 'vitest';
import { createIpMatcher } from '../../../src/rules/index.js';

describe('createIpMatcher', () => {
  it('matches addresses and subnets of both families', () => {
    const trusted = createIpMatcher(['127.0.0.1', '10.0.0.0/8', ' fd00::/8 ', '::1']);
    expect(trusted('127.0.0.1')).toBe(true);
    expect(trusted('127.0.0.2')).toBe(false);
    expect(trusted('10.1.2.3')).toBe(true);
    expect(trusted('fd12::1')).toBe(true);
    expect(trusted('fe80::1')).toBe(false);
    expect(trusted('::1')).toBe(true);
    expect(trusted('::ffff:10.9.9.9')).toBe(true);
    expect(trusted('::ffff:11.9.9.9')).toBe(false);
    expect(trusted('')).toBe(false);
    expect(trusted('not-an-ip')).toBe(false);
  });

  it('accepts a CIDR with host bits set, like Go does', () => {
    expect(createIpMatcher(['192.168.1.77/24'])('192.168.1.1')).toBe(true);
  });

  it('matches nothing when empty', () => {
    expect(createIpMatcher([])('127.0.0.1')).toBe(false);
  });

  it.each(['10.0.0.256', '10.0.0.0/33', '::/129', '10.0.0.0/x', '10.0.0.0/', 'localhost', ''])(
    'throws a plain Error naming %j',
    (entry) => {
      expect(() => createIpMatcher(['127.0.0.1', entry])).toThrow(JSON.stringify(entry));
    },
  );
});
