import { afterEach, describe, expect, it } from 'vitest';
import { startBackends, type Backend } from '../helpers/backends.js';
import { request } from '../helpers/http-client.js';
import { singleService, startSwitchyard, type TestSwitchyard } from '../helpers/switchyard.js';
import { waitFor } from '../helpers/wait.js';

describe('editing dynamic files', () => {
  let backends: Backend[] = [];
  let sy: TestSwitchyard | undefined;
  afterEach(async () => {
    await sy?.close();
    await Promise.all(backends.map((b) => b.close()));
    sy = undefined;
    backends = [];
  });

  const bodies = async (n: number): Promise<string[]> => {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push((await request(sy!.url)).body);
    return out;
  };

  it('changes the pool when the file changes', async () => {
    backends = await startBackends(['a', 'b']);
    sy = await startSwitchyard({ dynamic: { 'app.yaml': singleService([backends[0]!.url]) } });
    expect(new Set(await bodies(4))).toEqual(new Set(['a']));
    await sy.writeDynamic('app.yaml', singleService([backends[0]!.url, backends[1]!.url]));
    await waitFor(async () => (await bodies(2)).includes('b'), 'b to join the pool');
    expect((await bodies(4)).sort()).toEqual(['a', 'a', 'b', 'b']);
    await sy.writeDynamic('app.yaml', singleService([backends[1]!.url]));
    await waitFor(async () => (await bodies(3)).every((b) => b === 'b'), 'a to leave the pool');
  });

  it('adds and removes routes as files come and go', async () => {
    backends = await startBackends(['a', 'b']);
    sy = await startSwitchyard({ dynamic: { 'a.yaml': singleService([backends[0]!.url], { name: 'a', rule: 'PathPrefix(`/a`)' }) } });
    expect((await request(`${sy.url}/b`)).status).toBe(404);
    await sy.writeDynamic('b.yaml', singleService([backends[1]!.url], { name: 'b', rule: 'PathPrefix(`/b`)' }));
    await waitFor(async () => (await request(`${sy!.url}/b`)).body === 'b', 'the new file\'s route');
    const { rm } = await import('node:fs/promises');
    await rm(`${sy.dir}/b.yaml`);
    await waitFor(async () => (await request(`${sy!.url}/b`)).status === 404, 'the deleted file\'s route to go');
    expect((await request(`${sy.url}/a`)).body).toBe('a');
  });

  it('keeps the old pool serving when a file turns bad, and reports the error in the API', async () => {
    backends = await startBackends(['a', 'b']);
    sy = await startSwitchyard({ api: true, dynamic: { 'app.yaml': singleService([backends[0]!.url]) } });
    await sy.writeDynamic('app.yaml', 'http:\n  services:\n    app: {loadBalancer: {servers: [\n');
    const raw = async () => JSON.parse((await request(`${sy!.apiUrl}/api/rawdata`)).body);
    await waitFor(async () => (await raw()).errors.length > 0, 'the error to show');
    const data = await raw();
    expect(data.errors[0].text).toMatch(/app\.yaml:\d+:\d+: .*YAML syntax error.*keeping the last good version/);
    expect((await bodies(3)).every((b) => b === 'a')).toBe(true);

    // An item-level error drops only that item: the router and the other service keep serving.
    await sy.writeDynamic('app.yaml', singleService([backends[0]!.url]));
    await sy.writeDynamic('other.yaml', { http: { services: { other: { loadBalancer: { strategy: 'fastest', servers: [{ url: backends[1]!.url }] } } } } });
    await waitFor(async () => (await raw()).services['other@file']?.status === 'disabled', 'the bad service to be disabled');
    const after = await raw();
    expect(after.services['other@file'].errors[0]).toMatch(/other\.yaml:\d+:\d+: loadBalancer\.strategy: unknown strategy "fastest"/);
    expect(after.routers['app@file'].status).toBe('enabled');
    expect((await bodies(3)).every((b) => b === 'a')).toBe(true);
  });

  it('serves a config fixed after a bad start', async () => {
    backends = await startBackends(['a']);
    sy = await startSwitchyard({ dynamic: { 'app.yaml': 'http: [' } });
    expect((await request(sy.url)).status).toBe(404);
    await sy.writeDynamic('app.yaml', singleService([backends[0]!.url]));
    await waitFor(async () => (await request(sy!.url)).body === 'a', 'the fixed file');
  });
});
