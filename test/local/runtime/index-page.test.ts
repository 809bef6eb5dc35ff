import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startHttpServer, type LocalHttpServer } from '../../../local/runtime/http-server';
import { emulatorDashboardUrl } from '../../../local/runtime/index-page';

let server: LocalHttpServer;
const invoke = vi.fn();
beforeAll(async () => {
  server = await startHttpServer({ port: 0, invoke });
});
afterAll(async () => {
  await server.close();
  vi.unstubAllEnvs();
});

describe('the local runtime for a browser', () => {
  it('answers GET / with an index pointing to /authorize, the emulator dashboard and the docs', async () => {
    vi.stubEnv('WECHAT_API_BASE', 'http://127.0.0.1:3001');
    const response = await fetch(`${server.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    const html = await response.text();
    expect(html).toContain('href="/authorize"');
    expect(html).toContain('href="http://127.0.0.1:3001/__admin"');
    expect(html).toContain('cli/README.md');
    expect(html).toContain('local/emulator/README.md');
    expect(invoke).not.toHaveBeenCalled();
  });

  it('answers /favicon.ico with 204 without invoking a function', async () => {
    const response = await fetch(`${server.url}/favicon.ico`);
    expect(response.status).toBe(204);
    expect(invoke).not.toHaveBeenCalled();
  });

  it('links the emulator dashboard only when WeChat is the local emulator', () => {
    expect(emulatorDashboardUrl('http://127.0.0.1:3001')).toBe('http://127.0.0.1:3001/__admin');
    expect(emulatorDashboardUrl('https://api.weixin.qq.com')).toBeUndefined();
    expect(emulatorDashboardUrl('')).toBeUndefined();
  });

  it('still answers unknown paths as API Gateway does', async () => {
    const response = await fetch(`${server.url}/nope`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ message: 'Not Found' });
  });
});
