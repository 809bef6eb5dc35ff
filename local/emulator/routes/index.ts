/** Every WeChat API the emulator serves, by path. */
import { basicInfoRoutes } from './basic-info';
import { categoryRoutes } from './categories';
import { codeRoutes } from './code';
import { componentRoutes } from './component';
import { gateRoutes } from './gates';
import { mediaRoutes } from './media';
import { messageRoutes } from './message';
import { privacyRoutes } from './privacy';
import { registrationRoutes } from './registration';
import { releaseRoutes } from './release';
import { runtimeRoutes } from './runtime';
import { settingsRoutes } from './settings';
import { templateRoutes } from './templates';
import type { ApiRoute } from './types';

export const API_ROUTES: readonly ApiRoute[] = [
  ...componentRoutes,
  ...templateRoutes,
  ...codeRoutes,
  ...releaseRoutes,
  ...settingsRoutes,
  ...messageRoutes,
  ...privacyRoutes,
  ...gateRoutes,
  ...mediaRoutes,
  ...basicInfoRoutes,
  ...categoryRoutes,
  ...runtimeRoutes,
  ...registrationRoutes,
];

export function routeTable(routes: readonly ApiRoute[] = API_ROUTES): Map<string, ApiRoute> {
  const table = new Map<string, ApiRoute>();
  for (const route of routes) {
    if (table.has(route.path)) throw new Error(`duplicate API route ${route.path}`);
    table.set(route.path, route);
  }
  return table;
}
