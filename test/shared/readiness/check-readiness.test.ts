import { describe, expect, it } from 'vitest';
import { checkReadiness } from '../../../shared/readiness/check-readiness';
import { WeChatApiError } from '../../../shared/wechat/errors';

type Reads = Parameters<typeof checkReadiness>[0];

const ok = <T extends object>(answer: T) => ({ errcode: 0, errmsg: 'ok', ...answer });

/** A mini-program that passes every gate; each test changes the one read it is about. */
function reads(over: Partial<Reads> = {}): Reads {
  return {
    getIcpEntranceInfo: async () => ok({ info: { status: 6 } }),
    getAccountBasicInfo: async () =>
      ok({ nickname_info: { nickname: 'Shop' }, head_image_info: { head_image_url: 'https://example.invalid/a.png' }, signature_info: { signature: 'A shop' } }),
    getCategory: async () => ok({ category_list: [{ first_class: '工具', second_class: '效率', first_id: 287, second_id: 616 }] }),
    getPrivacySetting: async () => ok({ setting_list: [{ privacy_key: 'UserInfo', privacy_text: 'to show the member card' }] }),
    getPrivacyInterface: async () => ok({ interface_list: [] }),
    queryQuota: async () => ok({ rest: 100, limit: 100, speedup_rest: 10, speedup_limit: 10 }),
    ...over,
  };
}

const refused = (code: number, path: string) => async () => {
  throw new WeChatApiError({ code, errmsg: `refused ${code}`, path });
};

const codes = (r: { blockers: { code: string }[] }) => r.blockers.map((b) => b.code);

describe('checkReadiness', () => {
  it('finds a mini-program that passes every gate ready, stamped with the check time', async () => {
    const readiness = await checkReadiness(reads(), 1_234);
    expect(readiness).toMatchObject({ ready: true, blockers: [], checkedAtMs: 1_234, icp: { state: 'filed', status: 6 }, quota: { rest: 100, limit: 100 } });
    expect(readiness.unavailable).toBeUndefined();
  });

  it.each([
    [2, 'in_review', 'icp_in_review'],
    [4, 'in_review', 'icp_in_review'],
    [3, 'rejected', 'icp_rejected'],
    [5, 'rejected', 'icp_rejected'],
    [1024, 'not_filed', 'icp_not_filed'],
    [1025, 'not_filed', 'icp_not_filed'],
  ])('maps ICP status %i to %s with the blocker %s', async (status, state, code) => {
    const readiness = await checkReadiness(reads({ getIcpEntranceInfo: async () => ok({ info: { status } }) }));
    expect(readiness.icp).toMatchObject({ state, status });
    expect(codes(readiness)).toEqual([code]);
    expect(readiness.ready).toBe(false);
  });

  it('keeps the fields a rejected ICP filing was refused for, and names them in the blocker', async () => {
    const audit_data = [
      { key_name: 'principal_name', error: 'does not match the licence', suggest: 'use the name on the licence' },
      { key_name: 'phone', error: 'unreachable' },
    ];
    const readiness = await checkReadiness(reads({ getIcpEntranceInfo: async () => ok({ info: { status: 3, audit_data } }) }));
    expect(readiness.icp.rejections).toEqual([
      { field: 'principal_name', error: 'does not match the licence', suggest: 'use the name on the licence' },
      { field: 'phone', error: 'unreachable' },
    ]);
    expect(readiness.blockers[0]!.message).toContain('principal_name: does not match the licence; phone: unreachable');
    expect(readiness.blockers[0]!.fix).toMatch(/icp\.rejections/);
  });

  it('is filed at status 6 with no blocker', async () => {
    const readiness = await checkReadiness(reads({ getIcpEntranceInfo: async () => ok({ info: { status: 6 } }) }));
    expect(readiness.icp).toEqual({ state: 'filed', status: 6 });
    expect(codes(readiness)).toEqual([]);
  });

  it('lists the missing basic info in order: nickname, avatar, introduction', async () => {
    const none = await checkReadiness(reads({ getAccountBasicInfo: async () => ok({ nickname_info: { nickname: '' }, signature_info: {} }) }));
    expect(none.basicInfo).toEqual({ complete: false, missing: ['nickname', 'avatar', 'introduction'] });
    expect(codes(none)).toEqual(['basic_info_incomplete']);
    expect(none.blockers[0]!.message).toContain('nickname, avatar, introduction are not set');

    const noAvatar = await checkReadiness(reads({ getAccountBasicInfo: async () => ok({ nickname: 'Old shop', signature_info: { signature: 'A shop' } }) }));
    expect(noAvatar.basicInfo).toEqual({ nickName: 'Old shop', signature: 'A shop', complete: false, missing: ['avatar'] });
    expect(noAvatar.blockers[0]!.message).toContain('avatar is not set');
  });

  it('takes a complete basic info with its values', async () => {
    const readiness = await checkReadiness(reads());
    expect(readiness.basicInfo).toEqual({ nickName: 'Shop', headImage: 'https://example.invalid/a.png', signature: 'A shop', complete: true, missing: [] });
  });

  it('counts a privacy guide as configured when it covers a key, and blocks one with none', async () => {
    const configured = await checkReadiness(reads());
    expect(configured.privacy).toMatchObject({ configured: true, keys: ['UserInfo'] });

    const none = await checkReadiness(reads({ getPrivacySetting: async () => ok({ setting_list: [] }) }));
    expect(none.privacy).toMatchObject({ configured: false, keys: [] });
    expect(codes(none)).toEqual(['privacy_not_configured']);
  });

  it('keeps only the interfaces WeChat granted (status 5)', async () => {
    const interface_list = [
      { api_name: 'wx.getLocation', status: 5 },
      { api_name: 'wx.chooseAddress', status: 1 },
      { api_name: 'wx.onLocationChange', status: 4 },
      { api_name: 'wx.chooseLocation', status: 5 },
    ];
    const readiness = await checkReadiness(reads({ getPrivacyInterface: async () => ok({ interface_list }) }));
    expect(readiness.privacy.grantedApis).toEqual(['wx.getLocation', 'wx.chooseLocation']);
    expect(readiness.ready).toBe(true);
  });

  it('keeps the categories with their ids, the third only where there is one', async () => {
    const category_list = [
      { first_class: '工具', second_class: '效率', first_id: 287, second_id: 616 },
      { first_class: '餐饮', second_class: '点餐', third_class: '快餐', first_id: 220, second_id: 632, third_id: 1001 },
    ];
    const readiness = await checkReadiness(reads({ getCategory: async () => ok({ category_list }) }));
    expect(readiness.categories).toEqual([
      { first: '工具', second: '效率', firstId: 287, secondId: 616 },
      { first: '餐饮', second: '点餐', third: '快餐', firstId: 220, secondId: 632, thirdId: 1001 },
    ]);
  });

  it('blocks a mini-program without a category', async () => {
    const readiness = await checkReadiness(reads({ getCategory: async () => ok({ category_list: [] }) }));
    expect(codes(readiness)).toEqual(['category_missing']);
  });

  it('blocks on an audit quota with nothing left', async () => {
    const readiness = await checkReadiness(reads({ queryQuota: async () => ok({ rest: 0, limit: 20, speedup_rest: 0, speedup_limit: 0 }) }));
    expect(readiness.quota).toEqual({ rest: 0, limit: 20 });
    expect(codes(readiness)).toEqual(['audit_quota_exhausted']);
    expect(readiness.blockers[0]!.message).toContain('0 of 20');
  });

  it('lists the blockers in a fixed order when several apply', async () => {
    const readiness = await checkReadiness(
      reads({
        getIcpEntranceInfo: async () => ok({ info: { status: 1024 } }),
        getAccountBasicInfo: async () => ok({}),
        getCategory: async () => ok({ category_list: [] }),
        getPrivacySetting: async () => ok({}),
        queryQuota: async () => ok({ rest: 0, limit: 20, speedup_rest: 0, speedup_limit: 0 }),
      }),
    );
    expect(codes(readiness)).toEqual(['icp_not_filed', 'privacy_not_configured', 'basic_info_incomplete', 'category_missing', 'audit_quota_exhausted']);
  });

  it('leaves a read WeChat refuses unknown, listed in unavailable and not a blocker', async () => {
    const readiness = await checkReadiness(
      reads({
        getIcpEntranceInfo: refused(48001, '/wxa/icp/get_icp_entrance_info'),
        getPrivacySetting: refused(48001, '/cgi-bin/component/getprivacysetting'),
        getAccountBasicInfo: refused(61007, '/cgi-bin/account/getaccountbasicinfo'),
        getPrivacyInterface: refused(48001, '/wxa/security/get_privacy_interface'),
        queryQuota: refused(48001, '/wxa/queryquota'),
      }),
    );
    expect(readiness.icp).toEqual({ state: 'unknown' });
    expect(readiness.privacy).toEqual({ configured: true, keys: [], grantedApis: [] });
    expect(readiness.basicInfo).toEqual({ complete: true, missing: [] });
    expect(readiness.quota).toBeUndefined();
    expect(readiness.unavailable).toEqual([
      { check: 'icp', code: 48001, message: 'refused 48001' },
      { check: 'basic_info', code: 61007, message: 'refused 61007' },
      { check: 'privacy', code: 48001, message: 'refused 48001' },
      { check: 'privacy_interfaces', code: 48001, message: 'refused 48001' },
      { check: 'quota', code: 48001, message: 'refused 48001' },
    ]);
    expect(codes(readiness)).toEqual([]);
    expect(readiness.ready).toBe(true);
  });

  it('keeps the other facts when one read is refused', async () => {
    const readiness = await checkReadiness(reads({ getIcpEntranceInfo: refused(48001, '/wxa/icp/get_icp_entrance_info') }));
    expect(readiness).toMatchObject({ ready: true, icp: { state: 'unknown' }, unavailable: [{ check: 'icp', code: 48001 }] });
    expect(readiness.categories).toHaveLength(1);
  });

  it('fails when WeChat cannot be reached at all', async () => {
    const unreachable = async () => {
      throw new WeChatApiError({ code: -1, errmsg: 'ECONNRESET', path: '/wxa/queryquota', network: true });
    };
    await expect(checkReadiness(reads({ queryQuota: unreachable }))).rejects.toMatchObject({ name: 'WeChatApiError', network: true });
  });

  it('fails on an error that is not WeChat’s answer', async () => {
    const broken = async () => {
      throw new TypeError('boom');
    };
    await expect(checkReadiness(reads({ getCategory: broken }))).rejects.toThrow('boom');
  });

  it('reads the privacy guide in version 2', async () => {
    const versions: unknown[] = [];
    await checkReadiness(
      reads({
        getPrivacySetting: async (ver) => {
          versions.push(ver);
          return ok({ setting_list: [{ privacy_key: 'UserInfo', privacy_text: 'x' }] });
        },
      }),
    );
    expect(versions).toEqual([2]);
  });
});
