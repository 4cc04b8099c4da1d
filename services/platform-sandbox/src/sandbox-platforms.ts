import type { FastifyPluginAsync } from 'fastify';
import { psnRoutes } from './psn/psn-routes.ts';
import type { SandboxPluginOptions } from './sandbox-context.ts';
import { steamOpenIdRoutes } from './steam/steam-openid-routes.ts';
import { steamRoutes } from './steam/steam-routes.ts';
import { xboxRoutes } from './xbox/xbox-routes.ts';

/**
 * The stand-in of each platform the sandbox can play, keyed by the platform registry's slug: the
 * route plugins answering that platform's real paths. Which of them a sandbox serves is the caller's
 * choice (`createSandbox({ platforms: registry.slugs })`); a platform without a stand-in here brings
 * its own (a test's own server, as the fourth-platform test does).
 */
export const SANDBOX_PLATFORM_ROUTES: Readonly<Record<string, readonly FastifyPluginAsync<SandboxPluginOptions>[]>> = {
  psn: [psnRoutes],
  xbox: [xboxRoutes],
  // Steam Web API and Steam's OpenID provider (steamcommunity.com/openid).
  steam: [steamRoutes, steamOpenIdRoutes],
};

/** The route plugins for `platforms`; a slug with no stand-in is a programming error. */
export function sandboxRoutesFor(platforms: readonly string[]): FastifyPluginAsync<SandboxPluginOptions>[] {
  return platforms.flatMap((slug) => {
    const routes = Object.hasOwn(SANDBOX_PLATFORM_ROUTES, slug) ? SANDBOX_PLATFORM_ROUTES[slug] : undefined;
    if (!routes) throw new Error(`the sandbox has no stand-in for platform ${slug}`);
    return routes;
  });
}
