/**
 * The categories a mini-program may set (getallcategories), a fixed excerpt of WeChat's catalogue:
 * 8 first-level categories and their second-level ones (one third level, 家政 > 保洁), holding
 * every category of the fixtures (CATEGORIES, CATEGORY_SETS) with the same ids and names. Ids the
 * fixtures do not name are made up. `sensitive_type` 1 needs qualifications: every `exter_list`
 * entry must be met by one of its `inner_list` names (addcategory's `certicates[].key`).
 */

export interface CatalogueQualification {
  exter_list: { inner_list: { name: string; url: string }[] }[];
  remark: string;
}

export interface CatalogueNode {
  id: number;
  name: string;
  level: number;
  father: number;
  children: number[];
  sensitive_type: 0 | 1;
  qualify: CatalogueQualification;
}

const NONE: CatalogueQualification = { exter_list: [], remark: '' };

function needs(names: string[], remark: string): CatalogueQualification {
  return { exter_list: names.map((name) => ({ inner_list: [{ name, url: '' }] })), remark };
}

interface Branch {
  id: number;
  name: string;
  children: { id: number; name: string; qualify?: CatalogueQualification; children?: { id: number; name: string }[] }[];
}

const TREE: readonly Branch[] = [
  {
    id: 287,
    name: '工具',
    children: [
      { id: 612, name: '效率' },
      { id: 613, name: '信息查询' },
      { id: 614, name: '天气' },
      { id: 616, name: '记账' },
    ],
  },
  {
    id: 150,
    name: '生活服务',
    children: [
      { id: 627, name: '综合生活服务平台' },
      { id: 653, name: '家政', children: [{ id: 1107, name: '保洁' }] },
      { id: 631, name: '丽人' },
      { id: 632, name: '婚庆服务' },
    ],
  },
  {
    id: 220,
    name: '餐饮服务',
    children: [
      { id: 688, name: '点餐平台' },
      { id: 689, name: '外卖平台' },
      { id: 690, name: '食品销售', qualify: needs(['《食品经营许可证》'], '销售食品须提供《食品经营许可证》') },
    ],
  },
  {
    id: 304,
    name: '商家自营',
    children: [
      { id: 786, name: '服装/鞋/箱包' },
      { id: 787, name: '美妆/洗护' },
      { id: 788, name: '家居家纺' },
      { id: 789, name: '数码家电' },
    ],
  },
  {
    id: 8,
    name: '教育',
    children: [
      { id: 37, name: '培训机构', qualify: needs(['《办学许可证》'], '培训机构须提供《办学许可证》或主管部门的批准文件') },
      { id: 38, name: '教育信息服务' },
      { id: 40, name: '在线视频课程', qualify: needs(['《信息网络传播视听节目许可证》'], '提供视频课程须提供《信息网络传播视听节目许可证》') },
    ],
  },
  {
    id: 1115,
    name: '医疗',
    children: [
      { id: 1116, name: '医院', qualify: needs(['《医疗机构执业许可证》'], '医院须提供《医疗机构执业许可证》') },
      { id: 1117, name: '药店', qualify: needs(['《药品经营许可证》', '《互联网药品信息服务资格证书》'], '药店须提供《药品经营许可证》和《互联网药品信息服务资格证书》') },
      { id: 1118, name: '健康管理' },
    ],
  },
  {
    id: 231,
    name: '旅游服务',
    children: [
      { id: 1140, name: '住宿服务' },
      { id: 239, name: '景区服务' },
      { id: 240, name: '旅游攻略' },
    ],
  },
  {
    id: 590,
    name: '体育',
    children: [
      { id: 591, name: '体育场馆服务' },
      { id: 592, name: '体育培训' },
    ],
  },
];

function buildCatalogue(): CatalogueNode[] {
  const nodes: CatalogueNode[] = [{ id: 0, name: '', level: 0, father: 0, children: TREE.map((b) => b.id), sensitive_type: 0, qualify: NONE }];
  for (const branch of TREE) {
    nodes.push({ id: branch.id, name: branch.name, level: 1, father: 0, children: branch.children.map((c) => c.id), sensitive_type: 0, qualify: NONE });
    for (const second of branch.children) {
      const qualify = second.qualify ?? NONE;
      nodes.push({
        id: second.id,
        name: second.name,
        level: 2,
        father: branch.id,
        children: (second.children ?? []).map((c) => c.id),
        sensitive_type: qualify.exter_list.length > 0 ? 1 : 0,
        qualify,
      });
      for (const third of second.children ?? []) {
        nodes.push({ id: third.id, name: third.name, level: 3, father: second.id, children: [], sensitive_type: 0, qualify: NONE });
      }
    }
  }
  return nodes;
}

/** getallcategories' `categories_list.categories`: the root (id 0) first, then every level. */
export const CATEGORY_CATALOGUE: readonly CatalogueNode[] = buildCatalogue();

export function catalogueNode(id: number): CatalogueNode | undefined {
  return CATEGORY_CATALOGUE.find((node) => node.id === id);
}

/** The second-level category `second` under the first-level `first`, or undefined when there is no such pair. */
export function catalogueSecond(first: number, second: number): CatalogueNode | undefined {
  const node = catalogueNode(second);
  return node?.level === 2 && node.father === first ? node : undefined;
}

/** Each qualification group of a category, as the names that satisfy it. */
export function requiredQualifications(node: CatalogueNode): string[][] {
  return node.qualify.exter_list.map((group) => group.inner_list.map((item) => item.name));
}
