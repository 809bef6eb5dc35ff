/**
 * Category management (authorizer token): the catalogue (getallcategories), the mini-program's
 * categories with their review status (getcategory), addcategory and deletecategory. The rules:
 * categories.ts; the catalogue: category-catalogue.ts. get_category (code.ts) lists the approved ones.
 */
import { CATEGORY_CATALOGUE } from '../category-catalogue';
import { CATEGORY_ADDS_PER_MONTH, CATEGORY_LIMIT, addCategories, categoryAddsUsed, categoryIds, checkAdditions, deleteCategory, listedCategories } from '../categories';
import { okBody } from '../errors';
import { callerOf } from './types';
import type { ApiRoute } from './types';

export const categoryRoutes: ApiRoute[] = [
  {
    path: '/cgi-bin/wxopen/getallcategories',
    method: 'GET',
    auth: 'authorizer',
    readOnly: true,
    handle() {
      return okBody({ categories_list: { categories: structuredClone(CATEGORY_CATALOGUE) } });
    },
  },
  {
    path: '/cgi-bin/wxopen/getcategory',
    method: 'GET',
    auth: 'authorizer',
    readOnly: true,
    handle(req, ctx) {
      const mp = callerOf(req);
      return okBody({
        categories: listedCategories(mp),
        limit: CATEGORY_ADDS_PER_MONTH,
        quota: Math.max(0, CATEGORY_ADDS_PER_MONTH - categoryAddsUsed(mp, ctx.now())),
        category_limit: CATEGORY_LIMIT,
      });
    },
  },
  {
    path: '/cgi-bin/wxopen/addcategory',
    method: 'POST',
    auth: 'authorizer',
    handle(req, ctx) {
      const mp = callerOf(req);
      const pending = addCategories(ctx.state, mp, checkAdditions(ctx.state, mp, req.body));
      for (const r of pending) ctx.log(`${mp.appid} category ${r.first}/${r.second} under review`);
      return okBody();
    },
  },
  {
    path: '/cgi-bin/wxopen/deletecategory',
    method: 'POST',
    auth: 'authorizer',
    handle(req) {
      const { first, second } = categoryIds(req.body, 'body');
      deleteCategory(callerOf(req), first, second);
      return okBody();
    },
  },
];
