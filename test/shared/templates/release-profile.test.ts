import { describe, expect, it } from 'vitest';
import { InvalidInput } from '../../../shared/errors';
import { parseReleaseProfile, type ReleaseProfile } from '../../../shared/templates/release-profile';

/** Every field a profile can have, as an operator would PUT it. */
const full: ReleaseProfile = {
  privacy: {
    privacy_ver: 2,
    owner_setting: {
      contact_email: '{{config.ext.contactEmail}}',
      contact_phone: '13800000000',
      notice_method: '弹窗提示',
      store_expire_timestamp: '30天',
      store_region: 1,
    },
    setting_list: [
      { privacy_key: 'UserInfo', privacy_text: '展示会员卡' },
      { privacy_key: 'Location', privacy_text: '推荐附近门店' },
    ],
    sdk_privacy_info_list: [{ sdk_name: 'Maps', sdk_biz_name: 'Maps Inc', sdk_list: [{ privacy_key: 'Location', privacy_text: '显示地图' }] }],
  },
  privacyApis: ['wx.getLocation', 'wx.chooseAddress'],
  auditItems: [
    { category: { first: '餐饮', second: '点餐', third: '快餐' }, address: 'pages/menu/menu', tag: '点餐', title: '菜单' },
    { address: 'pages/index/index', title: '首页' },
  ],
  domains: { requestdomain: ['https://api.example.com'], wsrequestdomain: ['wss://ws.example.com'], uploaddomain: ['https://up.example.com'], downloaddomain: ['https://dl.example.com:8443'] },
};

/** The message of the InvalidInput the body is refused with. */
function refusal(body: unknown): string {
  try {
    parseReleaseProfile(body);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInput);
    return (error as InvalidInput).message;
  }
  throw new Error('the profile was accepted');
}

describe('parseReleaseProfile', () => {
  it('accepts a full valid profile as it is', () => {
    expect(parseReleaseProfile(full)).toEqual(full);
  });

  it('accepts an empty profile and each part alone', () => {
    expect(parseReleaseProfile({})).toEqual({});
    expect(parseReleaseProfile({ privacyApis: [] })).toEqual({ privacyApis: [] });
    expect(parseReleaseProfile({ auditItems: [{}] })).toEqual({ auditItems: [{}] });
  });

  it('refuses an owner_setting without any contact', () => {
    const message = refusal({ privacy: { ...full.privacy, owner_setting: { notice_method: '弹窗提示' } } });
    expect(message).toContain('privacy.owner_setting');
    expect(message).toContain('needs at least one contact');
  });

  it('takes any one contact', () => {
    for (const contact of ['contact_email', 'contact_phone', 'contact_qq', 'contact_weixin']) {
      expect(() => parseReleaseProfile({ privacy: { ...full.privacy, owner_setting: { notice_method: 'pop-up', [contact]: 'x' } } })).not.toThrow();
    }
  });

  it('refuses a guide without notice_method or setting_list', () => {
    expect(refusal({ privacy: { owner_setting: { contact_email: 'a@b.c' }, setting_list: full.privacy!.setting_list } })).toContain('privacy.owner_setting.notice_method');
    expect(refusal({ privacy: { owner_setting: full.privacy!.owner_setting } })).toContain('privacy.setting_list');
    expect(refusal({ privacy: { ...full.privacy, setting_list: [] } })).toContain('privacy.setting_list');
  });

  it('refuses a privacy_ver other than 1 or 2', () => {
    expect(refusal({ privacy: { ...full.privacy, privacy_ver: 3 } })).toContain('privacy.privacy_ver');
  });

  it('refuses privacy APIs that are not wx. names, naming the entry', () => {
    const message = refusal({ privacyApis: ['wx.getLocation', 'getLocation'] });
    expect(message).toContain('privacyApis.1');
    expect(message).toContain('must be an API name like wx.getLocation');
    expect(refusal({ privacyApis: ['wx.get-location'] })).toContain('privacyApis.0');
  });

  it('refuses more than 20 audit items, and none', () => {
    const many = Array.from({ length: 21 }, () => ({ address: 'pages/index/index' }));
    expect(refusal({ auditItems: many })).toContain('auditItems');
    expect(() => parseReleaseProfile({ auditItems: many.slice(0, 20) })).not.toThrow();
    expect(refusal({ auditItems: [] })).toContain('auditItems');
  });

  it('refuses an audit item category without its second level', () => {
    expect(refusal({ auditItems: [{ category: { first: '餐饮' } }] })).toContain('auditItems.0.category.second');
  });

  it('refuses a domain that is not scheme://host', () => {
    const message = refusal({ domains: { requestdomain: ['api.example.com'] } });
    expect(message).toContain('domains.requestdomain.0');
    expect(message).toContain('must be scheme://host');
    expect(refusal({ domains: { requestdomain: ['https://api.example.com/path'] } })).toContain('domains.requestdomain.0');
  });

  it.each([
    [{ privacyAPIs: ['wx.getLocation'] }, 'privacyAPIs'],
    [{ privacy: { ...full.privacy, owner_settings: {} } }, 'owner_settings'],
    [{ privacy: { ...full.privacy, owner_setting: { ...full.privacy!.owner_setting, email: 'a@b.c' } } }, 'email'],
    [{ auditItems: [{ page: 'pages/index/index' }] }, 'page'],
    [{ domains: { webviewdomain: ['https://a.example.com'] } }, 'webviewdomain'],
  ])('refuses the unknown key in %o, naming it', (body, key) => {
    expect(refusal(body)).toContain(key);
  });

  it('refuses a body that is not an object', () => {
    expect(refusal([])).toMatch(/^body: /);
    expect(refusal('profile')).toMatch(/^body: /);
  });
});
