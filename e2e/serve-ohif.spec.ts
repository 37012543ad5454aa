import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveOhif, type RunningOhif } from './serve-ohif.ts';

/** A GET with the path sent exactly as given (fetch would normalize '..' away). */
function rawGet(origin: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(origin);
    const req = request({ host: url.hostname, port: url.port, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('serveOhif', () => {
  let root: string;
  let dist: string;
  let ohif: RunningOhif;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'serve-ohif-'));
    dist = join(root, 'dist');
    mkdirSync(join(dist, 'assets'), { recursive: true });
    writeFileSync(join(dist, 'index.html'), '<html>viewer</html>');
    writeFileSync(join(dist, 'app-config.js'), 'window.config = "shipped";');
    writeFileSync(join(dist, 'app.bundle.js'), 'console.log(1);');
    writeFileSync(join(dist, 'codec.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d]));
    writeFileSync(join(root, 'secret.txt'), 'secret');
  });

  afterEach(async () => {
    await ohif?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('serves the given app-config.js instead of the one in dist', async () => {
    ohif = await serveOhif({ distDir: dist, appConfig: 'window.config = "ours";' });
    const response = await fetch(`${ohif.origin}/app-config.js`);
    expect(response.headers.get('content-type')).toContain('text/javascript');
    expect(await response.text()).toBe('window.config = "ours";');
  });

  it('serves files with their media types, application/wasm included', async () => {
    ohif = await serveOhif({ distDir: dist, appConfig: '' });
    const bundle = await fetch(`${ohif.origin}/app.bundle.js`);
    const wasm = await fetch(`${ohif.origin}/codec.wasm`);
    expect(await bundle.text()).toBe('console.log(1);');
    expect(wasm.headers.get('content-type')).toBe('application/wasm');
    expect(Buffer.from(await wasm.arrayBuffer())).toEqual(Buffer.from([0, 0x61, 0x73, 0x6d]));
  });

  it("answers the viewer's client-side routes with index.html, and a missing asset with 404", async () => {
    ohif = await serveOhif({ distDir: dist, appConfig: '' });
    for (const path of ['/', '/viewer?StudyInstanceUIDs=1.2.3', '/assets']) {
      const response = await fetch(`${ohif.origin}${path}`);
      expect([path, response.status, await response.text()]).toEqual([path, 200, '<html>viewer</html>']);
    }
    expect((await fetch(`${ohif.origin}/missing.bundle.js`)).status).toBe(404);
  });

  it('serves nothing outside the dist folder', async () => {
    ohif = await serveOhif({ distDir: dist, appConfig: '' });
    // '..%2F' survives URL parsing and decodes to '../'.
    const response = await rawGet(ohif.origin, '/..%2Fsecret.txt');
    expect(response.status).toBe(403);
    expect(response.body).not.toContain('secret');
    expect((await rawGet(ohif.origin, '/%E0%A4%A.js')).status).toBe(400);
  });

  it('makes the page cross-origin isolated only when asked', async () => {
    ohif = await serveOhif({ distDir: dist, appConfig: '', crossOriginIsolated: true });
    const isolated = await fetch(`${ohif.origin}/`);
    expect(isolated.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(isolated.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    await ohif.close();
    ohif = await serveOhif({ distDir: dist, appConfig: '' });
    expect((await fetch(`${ohif.origin}/`)).headers.get('cross-origin-opener-policy')).toBeNull();
  });
});
