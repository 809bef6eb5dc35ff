import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseXml } from '../../../shared/wechat/xml';
import type { Emulator } from '../../../local/emulator/server';
import { admin, authorizeMiniProgram, callApi, isPushOf, openReceivedPush, startEmulatorWith, startReceiver } from './helpers';
import type { Authorized, Receiver } from './helpers';

describe('audit outcomes', () => {
  let emulator: Emulator;
  let receiver: Receiver;
  let mp: Authorized;

  beforeEach(async () => {
    receiver = await startReceiver();
    emulator = await startEmulatorWith(receiver, { auditDelayMs: 50 });
    mp = await authorizeMiniProgram(emulator, 2);
  });
  afterEach(async () => {
    await emulator.close();
    await receiver.close();
  });

  const call = (path: string, body?: unknown) => callApi(emulator, path, { query: { access_token: mp.accessToken }, ...(body === undefined ? {} : { body }) });

  async function submitAudit(): Promise<number> {
    await call('/wxa/commit', { template_id: 1, ext_json: '{}', user_version: '2.0.0', user_desc: 'audit me' });
    const answer = await call('/wxa/submit_audit', {});
    return answer.auditid as number;
  }

  const userName = () => emulator.state.get(mp.appid)!.userName;

  it('pushes weapp_audit_success to the callback URL with $APPID$ substituted, sealed with the component appid', async () => {
    await submitAudit();
    const push = await receiver.waitFor(isPushOf('weapp_audit_success'));
    expect(push.path).toBe(`/wechat/callback/${mp.appid}`);
    expect(push.query).toMatchObject({ encrypt_type: 'aes', signature: expect.any(String), msg_signature: expect.any(String) });
    expect(parseXml(push.body).ToUserName).toBe(userName());

    const { fields } = openReceivedPush(push); // verifies msg_signature and the component appid
    expect(fields).toMatchObject({ ToUserName: userName(), MsgType: 'event', Event: 'weapp_audit_success' });
    expect(Number(fields.SuccTime)).toBeGreaterThan(1_700_000_000);
    expect((await call('/wxa/get_latest_auditstatus')).status).toBe(0);
  });

  it('pushes weapp_audit_fail with Reason, FailTime and ScreenShot for a per-appid reject', async () => {
    await admin(emulator, 'POST', '/__admin/audit-outcome', { appid: mp.appid, outcome: 'reject', reason: '名称不符 / name mismatch' });
    const auditid = await submitAudit();
    const { fields } = openReceivedPush(await receiver.waitFor(isPushOf('weapp_audit_fail')));
    expect(fields).toMatchObject({ Event: 'weapp_audit_fail', Reason: '名称不符 / name mismatch', ScreenShot: expect.stringContaining('|') });
    expect(fields.FailTime).toMatch(/^\d{10}$/);
    expect(await call('/wxa/get_auditstatus', { auditid })).toMatchObject({ status: 1, reason: '名称不符 / name mismatch' });
    expect((await call('/wxa/get_latest_auditstatus')).ScreenShot).toBe(fields.ScreenShot);
  });

  it('pushes weapp_audit_delay, then weapp_audit_success', async () => {
    await admin(emulator, 'POST', '/__admin/audit-outcome', { outcome: 'delay' });
    await submitAudit();
    const delayed = openReceivedPush(await receiver.waitFor(isPushOf('weapp_audit_delay'))).fields;
    expect(delayed).toMatchObject({ Event: 'weapp_audit_delay', Reason: expect.any(String), DelayTime: expect.stringMatching(/^\d{10}$/) });
    await receiver.waitFor(isPushOf('weapp_audit_success'));
    expect((await call('/wxa/get_latest_auditstatus')).status).toBe(0);
  });

  it("'silent' decides without pushing, and the status is still queryable", async () => {
    await admin(emulator, 'POST', '/__admin/audit-outcome', { appid: mp.appid, outcome: 'silent' });
    const auditid = await submitAudit();
    await sleep(300);
    expect(receiver.requests.filter((r) => r.path.startsWith('/wechat/callback/'))).toHaveLength(0);
    expect(await call('/wxa/get_auditstatus', { auditid })).toMatchObject({ errcode: 0, status: 0 });
  });

  it('finishes an audit on demand through the admin API', async () => {
    await emulator.close();
    emulator = await startEmulatorWith(receiver, { auditDelayMs: 600_000 });
    mp = await authorizeMiniProgram(emulator, 2);
    await submitAudit();
    const finished = await admin(emulator, 'POST', '/__admin/finish-audit', { appid: mp.appid });
    expect(finished.json).toMatchObject({ ok: true, status: 0 });
    await receiver.waitFor(isPushOf('weapp_audit_success'));
    expect((await admin(emulator, 'POST', '/__admin/finish-audit', { appid: mp.appid })).status).toBe(400);
  });

  it('rejects a bad outcome with a clear 400', async () => {
    const answer = await admin(emulator, 'POST', '/__admin/audit-outcome', { outcome: 'maybe' });
    expect(answer.status).toBe(400);
    expect(answer.json.error).toContain('approve');
  });
});
