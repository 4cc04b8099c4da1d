import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface DashboardAsset {
  body: Buffer;
  contentType: string;
  /** Content hash: the page links `<name>?v=<version>`, so the asset may be cached for good. */
  version: string;
}

const require = createRequire(import.meta.url);
const own = (file: string) => fileURLToPath(new URL(`./assets/${file}`, import.meta.url));

/**
 * What the dashboard pages load, all from this API: the chart library from the project's own
 * node_modules (uPlot, no CDN) and the page's stylesheet and script. Read once at startup.
 */
const SOURCES: Record<string, { path: string; contentType: string }> = {
  'uPlot.min.css': { path: require.resolve('uplot/dist/uPlot.min.css'), contentType: 'text/css; charset=utf-8' },
  'uPlot.iife.min.js': { path: require.resolve('uplot/dist/uPlot.iife.min.js'), contentType: 'text/javascript; charset=utf-8' },
  'dashboard.css': { path: own('dashboard.css'), contentType: 'text/css; charset=utf-8' },
  'dashboard.js': { path: own('dashboard.js'), contentType: 'text/javascript; charset=utf-8' },
};

export function loadDashboardAssets(): ReadonlyMap<string, DashboardAsset> {
  return new Map(
    Object.entries(SOURCES).map(([name, source]) => {
      const body = readFileSync(source.path);
      return [name, { body, contentType: source.contentType, version: createHash('sha256').update(body).digest('base64url').slice(0, 12) }];
    }),
  );
}

/** `<name>?v=<version>` for each of `names`, relative to `base` (the folder the page is in). */
export function assetUrls(assets: ReadonlyMap<string, DashboardAsset>, base: string, names: readonly string[]): string[] {
  return names.map((name) => `${base}assets/${encodeURIComponent(name)}?v=${assets.get(name)?.version ?? '0'}`);
}
