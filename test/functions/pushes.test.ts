import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PushPage, PushView } from '../../shared/contract/operator-api';
import { services } from '../../shared/services';
import { sealPush } from '../../shared/wechat/envelope';
import { buildXml } from '../../shared/wechat/xml';
import { startTestStack, type TestStack } from '../support/stack';

let t: TestStack;
let componentAppid: string;
beforeAll(async () => {
  t = await startTestStack();
  componentAppid = t.stack.emulator!.platform.componentAppid;
  await t.until(async () => services().tickets.latest()); // the start-up ticket push
});
afterAll(() => t?.close());

const now = () => Math.floor(Date.now() / 1000);

async function pushes(query = ''): Promise<PushView[]> {
  const response = await t.operator(`/api/pushes${query}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as PushPage).pushes;
}

async function errorOf(response: Response): Promise<{ status: number; code: string; message: string }> {
  const body = (await response.json()) as { error: { code: string; message: string } };
  return { status: response.status, ...body.error };
}

describe('POST /wechat/ticket — pushes mpfleet takes no action on', () => {
  it('answers an unknown InfoType success and records it once, secrets removed, however often WeChat retries', async () => {
    const appid = 'wx1000000000000001';
    const fields = {
      AppId: componentAppid,
      CreateTime: now(),
      InfoType: 'notify_something_wechat_added_later',
      AuthorizerAppid: appid,
      AuthorizationCode: 'queryauthcode@@@secret-one',
      PreAuthCode: 'preauthcode@@@secret-two',
      access_token: 'secret-three',
      status: '2',
      msg: 'in review',
    };
    for (let delivery = 0; delivery < 3; delivery++) {
      const response = await t.push('/wechat/ticket', fields);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('success');
    }

    const recorded = await pushes(`?appid=${appid}`);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({
      source: 'component',
      type: 'notify_something_wechat_added_later',
      appid,
      createdAtMs: fields.CreateTime * 1000,
      fields: { AppId: componentAppid, AuthorizerAppid: appid, status: '2', msg: 'in review', AuthorizationCode: '[redacted]', PreAuthCode: '[redacted]', access_token: '[redacted]' },
    });
    expect(recorded[0]!.receivedAtMs).toBeGreaterThanOrEqual(fields.CreateTime * 1000);
    expect(recorded[0]!.fields).not.toHaveProperty('Encrypt');
    expect(JSON.stringify(await pushes())).not.toContain('secret-');
  });

  it.each([
    ['notify_third_fastregisterbetaapp', { appid: 'wx2000000000000001', status: 0, msg: 'OK', unique_id: 'u-1' }],
    ['notify_third_fastverifybetaapp', { appid: 'wx2000000000000002', status: 0, msg: 'OK' }],
    ['notify_third_fastregisterpersonalapp', { appid: 'wx2000000000000003', status: 0, msg: 'OK', auth_code: 'fastregister-secret' }],
    ['notify_apply_icpfiling_result', { authorizer_appid: 'wx2000000000000004', beian_status: 2 }],
    ['notify_icpfiling_verify_result', { AuthorizerAppid: 'wx2000000000000005', task_id: 'task-1', verify_result: 'ok' }],
    ['notify_3rd_wxa_auth', { AuthorizerAppid: 'wx2000000000000006', taskid: 'task-2', task_status: 9 }],
    ['notify_3rd_wxa_wxverify', { AuthorizerAppid: 'wx2000000000000007', expired: now() + 86_400 }],
    ['notify_3rd_wxa_auth_and_icp', { AuthorizerAppid: 'wx2000000000000008', taskid: 'task-3', icp_status: 1 }],
  ])('accepts %s with success and records it for its mini-program', async (infoType, extra) => {
    const response = await t.push('/wechat/ticket', { AppId: componentAppid, CreateTime: now(), InfoType: infoType, ...extra });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('success');
    const appid = Object.values(extra).find((value) => typeof value === 'string' && value.startsWith('wx'));
    const recorded = await pushes(`?type=${infoType}`);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ source: 'component', type: infoType, appid });
    expect(JSON.stringify(recorded[0])).not.toContain('fastregister-secret');
  });

  it('records a platform-level push without an appid; never the verify ticket', async () => {
    await t.push('/wechat/ticket', { AppId: componentAppid, CreateTime: now(), InfoType: 'notify_platform_wide', note: 'x' });
    const [platform] = await pushes('?type=notify_platform_wide');
    expect(platform).toMatchObject({ source: 'component', type: 'notify_platform_wide' });
    expect(platform).not.toHaveProperty('appid');

    // Older than the emulator's ticket, so it is not kept as the current one (the emulator takes only its own).
    const ticket = await t.push('/wechat/ticket', { AppId: componentAppid, CreateTime: now() - 3600, InfoType: 'component_verify_ticket', ComponentVerifyTicket: 'ticket@@@recorded?' });
    expect(await ticket.text()).toBe('success');
    expect(await pushes('?type=component_verify_ticket')).toEqual([]);
    expect(JSON.stringify(await pushes())).not.toContain('ticket@@@');
  });

  it('records an authorization push with its codes redacted, and still authorizes the tenant', async () => {
    const appid = (await t.seededAppids())[0]!;
    await t.admin('/authorize', { appid });
    await t.until(async () => (await services().tenants.get(appid))?.status === 'active');
    const [authorized] = await pushes(`?appid=${appid}&type=authorized`);
    expect(authorized).toMatchObject({ source: 'component', type: 'authorized', appid, fields: { AuthorizationCode: '[redacted]', PreAuthCode: '[redacted]' } });
  });

  it('neither records nor accepts a push that fails the signature check, or is for another platform', async () => {
    const appid = 'wx3000000000000001';
    const sealed = sealPush(t.crypto, {
      outer: { AppId: componentAppid },
      innerXml: buildXml({ AppId: componentAppid, CreateTime: now(), InfoType: 'notify_forged', AuthorizerAppid: appid }),
    });
    const forged = await t.api(`/wechat/ticket?${new URLSearchParams({ ...sealed.query, msg_signature: '0'.repeat(40) })}`, {
      method: 'POST',
      headers: { 'content-type': 'text/xml' },
      body: sealed.body,
    });
    expect(await errorOf(forged)).toMatchObject({ status: 401, code: 'invalid_signature' });

    const otherPlatform = await t.push('/wechat/ticket', { AppId: 'wx9999999999999999', CreateTime: now(), InfoType: 'notify_forged', AuthorizerAppid: appid });
    expect(await errorOf(otherPlatform)).toMatchObject({ status: 400, code: 'appid_mismatch' });

    // Authentic but malformed: refused as before, so WeChat's retry is the one recorded.
    const noCode = await t.push('/wechat/ticket', { AppId: componentAppid, CreateTime: now(), InfoType: 'authorized', AuthorizerAppid: appid });
    expect(await errorOf(noCode)).toMatchObject({ status: 400, code: 'xml_missing_field' });

    expect(await pushes(`?appid=${appid}`)).toEqual([]);
    expect(await pushes('?type=notify_forged')).toEqual([]);
  });
});

describe('POST /wechat/callback/{appid} — every message push is recorded', () => {
  it('answers an unknown event success and records it once as event:<Event>, for the path appid', async () => {
    const appid = 'wx4000000000000001';
    const event = { ToUserName: 'gh_400000000001', FromUserName: 'o-user', CreateTime: now(), MsgType: 'event', Event: 'wxa_event_nobody_knows', detail: 'd' };
    for (let delivery = 0; delivery < 2; delivery++) {
      const response = await t.push(`/wechat/callback/${appid}`, event, { ToUserName: event.ToUserName });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('success');
    }
    const recorded = await pushes(`?appid=${appid}`);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({
      source: 'message',
      type: 'event:wxa_event_nobody_knows',
      appid,
      createdAtMs: event.CreateTime * 1000,
      fields: { Event: 'wxa_event_nobody_knows', FromUserName: 'o-user', detail: 'd' },
    });
  });

  it('records a plain message under its MsgType, and an audit result as it is handled today', async () => {
    const appid = 'wx4000000000000002';
    const text = { ToUserName: 'gh_400000000002', FromUserName: 'o-user', CreateTime: now(), MsgType: 'text', Content: 'hello', MsgId: '42' };
    expect(await (await t.push(`/wechat/callback/${appid}`, text, { ToUserName: text.ToUserName })).text()).toBe('success');
    const audit = { ToUserName: 'gh_400000000002', FromUserName: 'o-system', CreateTime: now(), MsgType: 'event', Event: 'weapp_audit_success', SuccTime: now() };
    expect(await (await t.push(`/wechat/callback/${appid}`, audit, { ToUserName: audit.ToUserName })).text()).toBe('success');
    expect((await pushes(`?appid=${appid}`)).map((p) => p.type).sort()).toEqual(['event:weapp_audit_success', 'text']);
    expect(await pushes(`?appid=${appid}&type=text`)).toHaveLength(1);
  });

  it('records the full-network check, keeping the authorization code out of the record', async () => {
    const report = await t.admin<{ passed: boolean }>('/full-network-test', { appid: 'wxd101a85aa106f53e' });
    expect(report.passed).toBe(true);
    const recorded = await pushes('?appid=wxd101a85aa106f53e');
    expect(recorded.length).toBeGreaterThanOrEqual(3);
    const queryAuth = recorded.find((p) => String(p.fields.Content ?? '').startsWith('QUERY_AUTH_CODE:'));
    expect(queryAuth?.fields.Content).toBe('QUERY_AUTH_CODE:[redacted]');
  });
});

describe('GET /api/pushes', () => {
  it('filters by appid and by type, and pages newest first', async () => {
    const [a, b] = ['wx5000000000000001', 'wx5000000000000002'];
    const base = now() - 100;
    await t.push('/wechat/ticket', { AppId: componentAppid, CreateTime: base, InfoType: 'notify_filter_one', AuthorizerAppid: a });
    await t.push('/wechat/ticket', { AppId: componentAppid, CreateTime: base + 1, InfoType: 'notify_filter_two', AuthorizerAppid: a });
    await t.push('/wechat/ticket', { AppId: componentAppid, CreateTime: base + 2, InfoType: 'notify_filter_one', AuthorizerAppid: b });

    expect((await pushes(`?appid=${a}`)).map((p) => p.type)).toEqual(['notify_filter_two', 'notify_filter_one']);
    expect((await pushes('?type=notify_filter_one')).map((p) => p.appid)).toEqual([b, a]);
    expect((await pushes(`?appid=${a}&type=notify_filter_one`)).map((p) => p.createdAtMs)).toEqual([base * 1000]);

    const first = await t.operator(`/api/pushes?appid=${a}&limit=1`);
    const page = (await first.json()) as PushPage;
    expect(page.pushes.map((p) => p.type)).toEqual(['notify_filter_two']);
    expect(page.nextToken).toBeDefined();
    const rest = (await pushes(`?appid=${a}&limit=1&nextToken=${encodeURIComponent(page.nextToken!)}`)).map((p) => p.type);
    expect(rest).toEqual(['notify_filter_one']);

    const everything = await pushes();
    expect(everything.map((p) => p.createdAtMs)).toEqual([...everything.map((p) => p.createdAtMs)].sort((x, y) => y - x));
  });

  it('answers a bad query 400 naming what is wrong, and needs the operator token', async () => {
    const cases: [string, string][] = [
      ['?appid=not-an-appid', 'appid'],
      ['?appid=', 'appid'],
      ['?type=has%20spaces', 'type'],
      [`?type=${'x'.repeat(129)}`, 'type'],
      ['?limit=0', 'limit'],
      ['?limit=501', 'limit'],
      ['?limit=ten', 'limit'],
    ];
    for (const [query, field] of cases) {
      const error = await errorOf(await t.operator(`/api/pushes${query}`));
      expect(error, query).toMatchObject({ status: 400, code: 'validation_failed' });
      expect(error.message, query).toContain(field);
    }
    expect(await errorOf(await t.operator('/api/pushes?nextToken=garbage'))).toMatchObject({ status: 400, code: 'invalid_next_token' });
    const tenantsToken = ((await (await t.operator('/api/tenants?limit=1')).json()) as { nextToken?: string }).nextToken;
    if (tenantsToken) expect((await t.operator(`/api/pushes?nextToken=${tenantsToken}`)).status).toBe(400);
    expect((await t.api('/api/pushes')).status).toBe(401);
  });
});
