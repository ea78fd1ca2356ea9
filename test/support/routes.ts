import type { FastifyInstance } from 'fastify';

/**
 * Every route Fastify registered, as method + full path, read from `printRoutes({ commonPrefix:
 * false })`. Fastify 5 has no public route list, and an `onRoute` hook would have to be added
 * before Nest registers the routes; the printed tree is complete, and each parsed route is
 * confirmed with `hasRoute`, so a change in the print format cannot silently drop routes.
 */
export function registeredRoutes(
  fastify: FastifyInstance,
): Array<{ method: string; path: string }> {
  const routes: Array<{ method: string; path: string }> = [];
  const parents: string[] = [];
  for (const line of fastify.printRoutes({ commonPrefix: false }).split('\n')) {
    if (!line.trim()) continue;
    const match = /^((?:│ {3}| {4})*)[├└]── (\S+)(?: \(([A-Z, ]+)\))?$/.exec(line.trimEnd());
    if (!match) throw new Error(`cannot read the printRoutes line ${JSON.stringify(line)}`);
    const depth = match[1].length / 4;
    parents.length = depth;
    const path = (depth > 0 ? parents[depth - 1] : '') + match[2];
    parents.push(path);
    for (const method of match[3]?.split(', ') ?? []) routes.push({ method, path });
  }
  for (const { method, path } of routes)
    if (!fastify.hasRoute({ method: method as 'GET', url: path }))
      throw new Error(`printRoutes listed ${method} ${path}, which the router does not know`);
  return routes;
}
