import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStaticServer, type StaticServer } from './static-server.js';

// The fault-injecting server is what the download tests stand on, so it gets its own checks.
describe('static server helper', () => {
  let dir: string;
  let server: StaticServer;
  const body = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'nn-static-'));
    writeFileSync(path.join(dir, 'a.bin'), body);
    server = await startStaticServer(dir, {
      faults: {
        'missing.bin': { kind: 'status', status: 404 },
        'cut/a.bin': { kind: 'truncate', bytes: 100 },
        'short/a.bin': { kind: 'truncate', bytes: 100, declareLength: false },
        'flip/a.bin': { kind: 'flip', offset: 10, count: 2 },
        'stall/a.bin': { kind: 'stall', afterBytes: 5 },
        'go/a.bin': { kind: 'redirect', to: '/moved/a.bin' },
      },
    });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves a file by its last path segment', async () => {
    const res = await fetch(`${server.url}deep/prefix/a.bin`);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(body)).toBe(true);
    expect(server.requests).toContain('GET /deep/prefix/a.bin');
  });

  it('answers 404 for a missing file and for a status fault', async () => {
    expect((await fetch(`${server.url}nope.bin`)).status).toBe(404);
    expect((await fetch(`${server.url}missing.bin`)).status).toBe(404);
  });

  it('cuts a download short, with or without a promised length', async () => {
    const cut = await fetch(`${server.url}cut/a.bin`);
    await expect(cut.arrayBuffer()).rejects.toThrow();
    const short = await fetch(`${server.url}short/a.bin`);
    expect((await short.arrayBuffer()).byteLength).toBe(100);
  });

  it('flips bytes but keeps the length', async () => {
    const got = Buffer.from(await (await fetch(`${server.url}flip/a.bin`)).arrayBuffer());
    expect(got.length).toBe(body.length);
    expect(got[10]).toBe(body[10] ^ 0xff);
    expect(got[11]).toBe(body[11] ^ 0xff);
    expect(got[12]).toBe(body[12]);
  });

  it('stalls until the client gives up', async () => {
    const res = await fetch(`${server.url}stall/a.bin`, { signal: AbortSignal.timeout(200) });
    await expect(res.arrayBuffer()).rejects.toThrow();
  });

  it('redirects', async () => {
    const res = await fetch(`${server.url}go/a.bin`);
    expect(res.redirected).toBe(true);
    expect(res.url).toBe(`${server.url}moved/a.bin`);
    expect(Buffer.from(await res.arrayBuffer()).equals(body)).toBe(true);
  });
});
