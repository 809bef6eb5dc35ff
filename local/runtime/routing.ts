import type { Route } from '../../infra/routes';

export interface RouteMatch {
  route: Route;
  routeKey: string;
  pathParameters?: Record<string, string>;
}

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  names: string[];
  greedy: boolean;
}

/**
 * Matches requests the way API Gateway HTTP APIs do: `{name}` matches one path segment, `{name+}`
 * (last only) the rest of the path, and a literal segment beats a parameter (so
 * `/api/templates/drafts` wins over `/api/templates/{id}`), a parameter beats a greedy one.
 */
export function createRouter(routes: readonly Route[]) {
  const compiled: CompiledRoute[] = routes
    .map((route) => {
      const names: string[] = [];
      const source = route.path
        .split('/')
        .map((segment) => {
          const param = /^\{(\w+)(\+?)\}$/.exec(segment);
          if (!param) return segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
          names.push(param[1]!);
          return param[2] ? '(.+)' : '([^/]+)';
        })
        .join('/');
      return { route, pattern: new RegExp(`^${source}$`), names, greedy: route.path.includes('+}') };
    })
    // More literal segments first, so specific routes shadow parameterised ones, and greedy ones come last.
    .sort((a, b) => Number(a.greedy) - Number(b.greedy) || a.names.length - b.names.length);

  return function match(method: string, path: string): RouteMatch | undefined {
    for (const { route, pattern, names } of compiled) {
      if (route.method !== method) continue;
      const found = pattern.exec(path);
      if (!found) continue;
      const routeKey = `${route.method} ${route.path}`;
      if (names.length === 0) return { route, routeKey };
      let pathParameters: Record<string, string>;
      try {
        pathParameters = Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(found[i + 1]!)]));
      } catch {
        return undefined; // malformed percent-encoding: API Gateway answers 404/400 too
      }
      return { route, routeKey, pathParameters };
    }
    return undefined;
  };
}
