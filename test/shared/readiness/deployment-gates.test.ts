import { describe, expect, it } from 'vitest';
import { auditItemsFor, gateBlockers, privacyGuideFor } from '../../../shared/readiness/deployment-gates';
import { withBlockers, type Readiness, type TenantCategory } from '../../../shared/readiness/readiness';
import type { PrivacyGuide, ReleaseProfile } from '../../../shared/templates/release-profile';

type Facts = Omit<Readiness, 'ready' | 'blockers'>;

const tools: TenantCategory = { first: '工具', second: '效率', firstId: 287, secondId: 616 };
const fastFood: TenantCategory = { first: '餐饮', second: '点餐', third: '快餐', firstId: 220, secondId: 632, thirdId: 1001 };
const tea: TenantCategory = { first: '餐饮', second: '点餐', third: '茶饮', firstId: 220, secondId: 632, thirdId: 1002 };

/** Readiness of a mini-program that passes every gate, with `over` changed. */
function readiness(over: Partial<Facts> = {}): Readiness {
  return withBlockers({
    checkedAtMs: 1_000,
    icp: { state: 'filed', status: 6 },
    privacy: { configured: true, keys: ['UserInfo'], grantedApis: [] },
    basicInfo: { nickName: 'Shop', headImage: 'https://example.invalid/a.png', signature: 'A shop', complete: true, missing: [] },
    categories: [tools],
    quota: { rest: 100, limit: 100 },
    ...over,
  });
}

const guide: PrivacyGuide = {
  owner_setting: { contact_email: 'privacy@example.invalid', notice_method: 'pop-up' },
  setting_list: [{ privacy_key: 'UserInfo', privacy_text: 'to show the member card' }],
};

const audit = { submitAudit: true };
const codes = (blockers: { code: string }[]) => blockers.map((b) => b.code);

describe('gateBlockers', () => {
  it('finds nothing for a ready tenant, with or without a profile', () => {
    expect(gateBlockers({ readiness: readiness() }, undefined, audit)).toEqual([]);
    expect(gateBlockers({ readiness: readiness() }, { privacy: guide, auditItems: [{ category: { first: '工具', second: '效率' } }] }, audit)).toEqual([]);
  });

  it('finds nothing for a deployment that only commits, however unready the tenant', () => {
    const unready = readiness({ icp: { state: 'not_filed', status: 1024 }, categories: [], privacy: { configured: false, keys: [], grantedApis: [] } });
    expect(gateBlockers({ readiness: unready }, undefined, { submitAudit: false })).toEqual([]);
  });

  it('finds nothing for a tenant never checked', () => {
    expect(gateBlockers({}, undefined, audit)).toEqual([]);
  });

  it.each([
    [{ state: 'not_filed' as const, status: 1024 }, 'icp_not_filed'],
    [{ state: 'in_review' as const, status: 2 }, 'icp_in_review'],
    [{ state: 'rejected' as const, status: 5 }, 'icp_rejected'],
  ])('keeps the ICP blocker of %o', (icp, code) => {
    expect(codes(gateBlockers({ readiness: readiness({ icp }) }, undefined, audit))).toEqual([code]);
  });

  it('keeps basic_info_incomplete', () => {
    const incomplete = readiness({ basicInfo: { complete: false, missing: ['avatar'] } });
    expect(codes(gateBlockers({ readiness: incomplete }, undefined, audit))).toEqual(['basic_info_incomplete']);
  });

  it('blocks a tenant without a privacy guide only when the profile brings none', () => {
    const noGuide = { readiness: readiness({ privacy: { configured: false, keys: [], grantedApis: [] } }) };
    expect(codes(gateBlockers(noGuide, undefined, audit))).toEqual(['privacy_not_configured']);
    expect(codes(gateBlockers(noGuide, { auditItems: [{}] }, audit))).toEqual(['privacy_not_configured']);
    expect(gateBlockers(noGuide, { privacy: guide }, audit)).toEqual([]);
  });

  it('blocks a tenant without any category', () => {
    const blockers = gateBlockers({ readiness: readiness({ categories: [] }) }, { privacy: guide }, audit);
    expect(codes(blockers)).toEqual(['category_missing']);
  });

  it('blocks a tenant none of whose categories the profile maps, naming them', () => {
    const profile: ReleaseProfile = { auditItems: [{ category: { first: '餐饮', second: '点餐' } }] };
    const blockers = gateBlockers({ readiness: readiness({ categories: [tools] }) }, profile, audit);
    expect(codes(blockers)).toEqual(['category_missing']);
    expect(blockers[0]!.message).toContain('工具/效率');
    expect(gateBlockers({ readiness: readiness({ categories: [tools, tea] }) }, profile, audit)).toEqual([]);
  });

  it('does not block on a mapping without a category: it takes the tenant’s first', () => {
    expect(gateBlockers({ readiness: readiness({ categories: [tea] }) }, { auditItems: [{ address: 'pages/index/index' }] }, audit)).toEqual([]);
  });

  it('blocks location APIs the template calls that WeChat has not granted, naming them', () => {
    const profile: ReleaseProfile = { privacyApis: ['wx.getLocation', 'wx.chooseAddress', 'wx.getUserProfile'] };
    const granted = readiness({ privacy: { configured: true, keys: ['Location'], grantedApis: ['wx.getLocation'] } });
    const blockers = gateBlockers({ readiness: granted }, profile, audit);
    expect(codes(blockers)).toEqual(['privacy_api_not_granted']);
    expect(blockers[0]!.message).toContain('wx.chooseAddress');
    expect(blockers[0]!.message).not.toContain('wx.getLocation');
    // wx.getUserProfile is not one WeChat grants interface by interface.
    expect(blockers[0]!.message).not.toContain('wx.getUserProfile');
  });

  it('does not block on privacy APIs when WeChat did not answer which interfaces it granted', () => {
    const unknown = readiness({ unavailable: [{ check: 'privacy_interfaces', code: 48001, message: 'api unauthorized' }] });
    expect(gateBlockers({ readiness: unknown }, { privacyApis: ['wx.getLocation'] }, audit)).toEqual([]);
  });

  it('does not hold an exhausted audit quota against a tenant: it is the deployment’s budget', () => {
    const noQuota = readiness({ quota: { rest: 0, limit: 20 } });
    expect(codes(noQuota.blockers)).toEqual(['audit_quota_exhausted']);
    expect(gateBlockers({ readiness: noQuota }, undefined, audit)).toEqual([]);
  });

  it('gives each blocker its fix', () => {
    const [b] = gateBlockers({ readiness: readiness({ categories: [] }) }, undefined, audit);
    expect(b!.fix).toMatch(/服务类目/);
  });
});

describe('auditItemsFor', () => {
  it('submits a tenant without mappings under its first category', () => {
    expect(auditItemsFor([tools, tea], undefined)).toEqual([{ first_class: '工具', second_class: '效率', first_id: 287, second_id: 616 }]);
  });

  it('has nothing for a tenant without categories', () => {
    expect(auditItemsFor([], undefined)).toEqual([]);
    expect(auditItemsFor([], [{ address: 'pages/index/index' }])).toEqual([]);
  });

  it('matches a mapping’s category by names, the third included, and carries the ids and the page', () => {
    const items = auditItemsFor([tools, fastFood, tea], [{ category: { first: '餐饮', second: '点餐', third: '茶饮' }, address: 'pages/menu/menu', tag: '奶茶', title: '菜单' }]);
    expect(items).toEqual([
      { first_class: '餐饮', second_class: '点餐', third_class: '茶饮', first_id: 220, second_id: 632, third_id: 1002, address: 'pages/menu/menu', tag: '奶茶', title: '菜单' },
    ]);
  });

  it('matches any third level when the mapping names none', () => {
    const [item] = auditItemsFor([tools, fastFood, tea], [{ category: { first: '餐饮', second: '点餐' } }]);
    expect(item).toMatchObject({ third_class: '快餐', third_id: 1001 });
  });

  it('skips mappings for categories the tenant does not have', () => {
    const items = auditItemsFor([tools], [{ category: { first: '餐饮', second: '点餐' }, title: 'menu' }, { category: { first: '工具', second: '效率' }, title: 'tools' }]);
    expect(items).toEqual([{ first_class: '工具', second_class: '效率', first_id: 287, second_id: 616, title: 'tools' }]);
    expect(auditItemsFor([tools], [{ category: { first: '工具', second: '效率', third: '计算器' } }])).toEqual([]);
  });

  it('gives a mapping without a category the tenant’s first', () => {
    expect(auditItemsFor([tea, tools], [{ address: 'pages/index/index' }])).toEqual([
      { first_class: '餐饮', second_class: '点餐', third_class: '茶饮', first_id: 220, second_id: 632, third_id: 1002, address: 'pages/index/index' },
    ]);
  });

  it('submits at most 5 items', () => {
    const mappings = Array.from({ length: 8 }, (_, i) => ({ address: `pages/p${i}/p${i}` }));
    const items = auditItemsFor([tools], mappings);
    expect(items).toHaveLength(5);
    expect(items.map((i) => i.address)).toEqual(['pages/p0/p0', 'pages/p1/p1', 'pages/p2/p2', 'pages/p3/p3', 'pages/p4/p4']);
  });
});

describe('privacyGuideFor', () => {
  const tenant = { appid: 'wx0000000000000001', nickName: '小店', principalName: 'Shop Ltd', userName: 'gh_1', config: { ext: { contactEmail: 'owner@shop.invalid', contact: { phone: '13800000000' }, count: 3 } } };

  it('fills the tenant placeholders and dotted {{config.…}} paths', () => {
    const filled = privacyGuideFor(
      {
        owner_setting: { contact_email: '{{config.ext.contactEmail}}', contact_phone: '{{ config.ext.contact.phone }}', notice_method: '{{nickName}} tells you by pop-up' },
        setting_list: [{ privacy_key: 'UserInfo', privacy_text: '{{principalName}} ({{appid}}) shows the member card' }],
      },
      tenant,
    );
    expect(filled.owner_setting).toEqual({ contact_email: 'owner@shop.invalid', contact_phone: '13800000000', notice_method: '小店 tells you by pop-up' });
    expect(filled.setting_list).toEqual([{ privacy_key: 'UserInfo', privacy_text: 'Shop Ltd (wx0000000000000001) shows the member card' }]);
  });

  it('fills what the tenant lacks with the empty string (a missing path, a non-string value, no config)', () => {
    const filled = privacyGuideFor(
      { owner_setting: { contact_email: '{{config.ext.missing}}', contact_qq: '{{config.ext.count}}', notice_method: 'pop-up' }, setting_list: [{ privacy_key: 'UserInfo', privacy_text: 'x{{config.ext.contactEmail.deeper}}y' }] },
      tenant,
    );
    expect(filled.owner_setting).toMatchObject({ contact_email: '', contact_qq: '' });
    expect(filled.setting_list![0]!.privacy_text).toBe('xy');

    const bare = privacyGuideFor({ owner_setting: { contact_email: '{{config.ext.contactEmail}}', notice_method: '{{nickName}}' }, setting_list: guide.setting_list }, { appid: 'wx0000000000000002' });
    expect(bare.owner_setting).toMatchObject({ contact_email: '', notice_method: '' });
  });

  it('leaves other mustache text alone', () => {
    const filled = privacyGuideFor({ ...guide, owner_setting: { ...guide.owner_setting, notice_method: '{{shopId}} {{config}}' } }, tenant);
    expect(filled.owner_setting.notice_method).toBe('{{shopId}} {{config}}');
  });

  it('defaults privacy_ver to 2 and keeps a version given', () => {
    expect(privacyGuideFor(guide, tenant).privacy_ver).toBe(2);
    expect(privacyGuideFor({ ...guide, privacy_ver: 1 }, tenant).privacy_ver).toBe(1);
  });

  it('does not change the profile’s guide', () => {
    const own: PrivacyGuide = structuredClone({ ...guide, owner_setting: { ...guide.owner_setting, contact_email: '{{config.ext.contactEmail}}' } });
    privacyGuideFor(own, tenant);
    expect(own.owner_setting.contact_email).toBe('{{config.ext.contactEmail}}');
  });

  it('carries the SDK privacy list only when the profile has one', () => {
    expect(privacyGuideFor(guide, tenant)).not.toHaveProperty('sdk_privacy_info_list');
    const sdk = [{ sdk_name: 'Maps', sdk_biz_name: 'Maps Inc', sdk_list: [{ privacy_key: 'Location', privacy_text: 'to show the nearest shop' }] }];
    expect(privacyGuideFor({ ...guide, sdk_privacy_info_list: sdk }, tenant).sdk_privacy_info_list).toEqual(sdk);
  });
});
