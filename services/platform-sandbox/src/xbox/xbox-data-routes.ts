import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { SandboxPluginOptions } from '../sandbox-context.ts';
import { serveCall, type CannedResponse } from '../serve-call.ts';
import type { XboxAchievementDefinition, XboxTitleDefinition } from './xbox-catalogue.ts';
import {
  historyTitleV1,
  historyTitleV2,
  legacyAchievement,
  legacyAchievementsPage,
  modernAchievement,
  pagingInfo,
  titlehubTitle,
} from './xbox-data-wire.ts';
import type { XboxOwnedTitle } from './xbox-library.ts';
import type { XboxRateService } from './xbox-rate-limit.ts';
import type { XboxSandboxAccount, XboxSandboxState } from './xbox-state.ts';
import { xboxBadRequest, xboxForbidden, xboxInstant, xboxNotFound, xboxServiceFaults, xboxServiceJson, xboxThrottled, xboxUnauthorized } from './xbox-wire.ts';

/** Xbox's default page; the sandbox serves at most this many per page (what public clients ask for). */
const DEFAULT_PAGE = 32;
const MAX_PAGE = 1000;

const targetSchema = z.object({ target: z.string().regex(/^xuid\(\d{1,20}\)$/) });
const maxItemsSchema = z.coerce.number().int().min(1).optional();
const offsetTokenSchema = z.string().regex(/^\d{1,9}$/).transform(Number);
const achievementsQuerySchema = z.object({
  titleId: z.string().regex(/^\d{1,10}$/).transform(Number),
  maxItems: maxItemsSchema,
  continuationToken: offsetTokenSchema.optional(),
});
const historyQuerySchema = z.object({ maxItems: maxItemsSchema, continuationToken: z.string().min(1).optional() });
const titlehubQuerySchema = z.object({ maxItems: maxItemsSchema });

const xuidOf = (params: unknown): string | undefined => {
  const parsed = targetSchema.safeParse(params);
  return parsed.success ? parsed.data.target.slice('xuid('.length, -1) : undefined;
};

/** `x-xbl-contract-version`; the achievements service treats a missing header as 1 (the 360 shape). */
const contractOf = (request: FastifyRequest, missing: string): string => {
  const header = request.headers['x-xbl-contract-version'];
  const value = Array.isArray(header) ? header[0] : header;
  return value?.trim() || missing;
};

/** One page of `items` from an offset token: `continuationToken` is the next offset, null on the last page. */
function pageOf<T>(items: T[], maxItems: number | undefined, offset: number): { items: T[]; token: string | null } {
  const size = Math.min(maxItems ?? DEFAULT_PAGE, MAX_PAGE);
  const next = offset + size;
  return { items: items.slice(offset, next), token: next < items.length ? String(next) : null };
}

/**
 * The data services every sync reads, at their real paths: titlehub's title history, achievements
 * (contract 2/4 modern, 1/3 Xbox 360 on the same path), `/titleachievements` (360 definitions) and
 * `/history/titles`. Each answers through `serveCall` (call counts, faults) and then, in order: 401 without
 * a live XSTS token, 429 when the caller's rate-limit window is full, 404 for an unknown user, 403 for a
 * private profile, 404 for a title made missing.
 */
export const xboxDataRoutes: FastifyPluginAsync<SandboxPluginOptions> = async (app, { sandbox }) => {
  const xbox: XboxSandboxState = sandbox.state.xbox;

  /** The checks every data call makes before its own; a response means "answer this instead". */
  function gate(request: FastifyRequest, xuid: string | undefined, service: XboxRateService): CannedResponse | XboxSandboxAccount {
    const auth = /^XBL3\.0 x=([^;]+);(.+)$/.exec(request.headers.authorization ?? '');
    const caller = auth ? xbox.accountForXsts(auth[1]!, auth[2]!) : undefined;
    if (!caller) return xboxUnauthorized();
    const throttled = xbox.throttle(caller.xuid, service);
    if (throttled) return xboxThrottled(throttled);
    if (!xuid) return xboxBadRequest();
    const target = xbox.accountByXuid(xuid);
    if (!target) return xboxNotFound();
    if (target.private) return xboxForbidden();
    return target;
  }
  const isResponse = (value: CannedResponse | XboxSandboxAccount): value is CannedResponse => 'status' in value;

  const playedTitle = (xuid: string, titleId: number): XboxOwnedTitle | undefined => xbox.library(xuid)?.title(titleId);

  function serveTitleHistory(request: FastifyRequest, reply: FastifyReply, decorationList: string) {
    const xuid = xuidOf(request.params);
    return serveCall(sandbox, reply, { endpoint: 'xbox.titlehubHistory', params: { xuid }, faults: xboxServiceFaults }, () => {
      const target = gate(request, xuid, 'titlehub');
      if (isResponse(target)) return target;
      const query = titlehubQuerySchema.safeParse(request.query ?? {});
      if (!query.success) return xboxBadRequest();
      const decorations = new Set(decorationList.split(',').map((d) => d.trim().toLowerCase()).filter(Boolean));
      const titles = (xbox.library(target.xuid)?.titles() ?? []).sort((a, b) => b.progress.lastPlayed - a.progress.lastPlayed);
      // A shrinking-list incident: this answer leaves out the oldest `percent` % of the history.
      const dropPercent = xbox.takeTitleHistoryShrink(target.xuid);
      const kept = dropPercent > 0 ? titles.slice(0, Math.floor((titles.length * (100 - dropPercent)) / 100)) : titles;
      const limited = query.data.maxItems === undefined ? kept : kept.slice(0, query.data.maxItems);
      return xboxServiceJson({ xuid: target.xuid, titles: limited.map((t) => titlehubTitle(t, decorations)) });
    });
  }

  app.get('/users/:target/titles/titlehistory/decoration/:decorations', (request, reply) =>
    serveTitleHistory(request, reply, (request.params as { decorations?: string }).decorations ?? ''),
  );
  app.get('/users/:target/titles/titlehistory', (request, reply) => serveTitleHistory(request, reply, ''));

  app.get('/users/:target/achievements', (request, reply) => {
    const xuid = xuidOf(request.params);
    const contract = contractOf(request, '1');
    const titleId = (request.query as Record<string, string | undefined> | undefined)?.titleId;
    return serveCall(sandbox, reply, { endpoint: 'xbox.achievements', params: { xuid, titleId, contract }, faults: xboxServiceFaults }, () => {
      const target = gate(request, xuid, 'achievements');
      if (isResponse(target)) return target;
      const query = achievementsQuerySchema.safeParse(request.query ?? {});
      if (!query.success) return xboxBadRequest();
      const definition = xbox.title(query.data.titleId);
      if (!definition || xbox.isTitleNotFound(target.xuid, query.data.titleId)) return xboxNotFound();
      const owned = playedTitle(target.xuid, definition.titleId);
      const offset = query.data.continuationToken ?? 0;
      if (contract === '2' || contract === '4') {
        // A 360 title has no modern achievements: an empty page, not an error.
        const all = definition.kind === 'modern' ? definition.achievements : [];
        const page = pageOf(all, query.data.maxItems, offset);
        return xboxServiceJson({
          achievements: page.items.map((a) => modernAchievement(definition, a, owned?.progress, contract === '4')),
          pagingInfo: pagingInfo(page.token, all.length),
        });
      }
      // Contract 1 (3 adds rarity): the 360 view, earned achievements only.
      const earned = definition.kind === 'x360' && owned ? earnedLegacy(definition, owned) : [];
      const page = pageOf(earned, query.data.maxItems, offset);
      return xboxServiceJson(legacyAchievementsPage(page.items.map(([a, at]) => legacyAchievement(definition, a, at, contract === '3')), page.token, earned.length));
    });
  });

  app.get('/users/:target/titleachievements', (request, reply) => {
    const xuid = xuidOf(request.params);
    const contract = contractOf(request, '1');
    const titleId = (request.query as Record<string, string | undefined> | undefined)?.titleId;
    return serveCall(sandbox, reply, { endpoint: 'xbox.titleAchievements', params: { xuid, titleId, contract }, faults: xboxServiceFaults }, () => {
      const target = gate(request, xuid, 'achievements');
      if (isResponse(target)) return target;
      const query = achievementsQuerySchema.safeParse(request.query ?? {});
      if (!query.success) return xboxBadRequest();
      const definition = xbox.title(query.data.titleId);
      if (!definition || xbox.isTitleNotFound(target.xuid, query.data.titleId)) return xboxNotFound();
      const all = definition.kind === 'x360' ? definition.achievements : [];
      const page = pageOf(all, query.data.maxItems, query.data.continuationToken ?? 0);
      return xboxServiceJson(legacyAchievementsPage(page.items.map((a) => legacyAchievement(definition, a, undefined, contract === '3')), page.token, all.length));
    });
  });

  app.get('/users/:target/history/titles', (request, reply) => {
    const xuid = xuidOf(request.params);
    const contract = contractOf(request, '1');
    return serveCall(sandbox, reply, { endpoint: 'xbox.historyTitles', params: { xuid, contract }, faults: xboxServiceFaults }, () => {
      const target = gate(request, xuid, 'achievements');
      if (isResponse(target)) return target;
      const query = historyQuerySchema.safeParse(request.query ?? {});
      if (!query.success) return xboxBadRequest();
      const titles = xbox.library(target.xuid)?.titles() ?? [];
      if (contract === '1') {
        // The 360 view: newest play first; the token is "<offset>,<version>" and must carry this version.
        const legacy = titles.filter((t) => t.definition.kind === 'x360').sort((a, b) => b.progress.lastPlayed - a.progress.lastPlayed);
        const version = xboxInstant(legacy.reduce((latest, t) => Math.max(latest, t.progress.lastPlayed), 0));
        const token = /^(\d{1,9}),(.+)$/.exec(query.data.continuationToken ?? '0,' + version);
        if (!token || token[2] !== version) return xboxBadRequest();
        const page = pageOf(legacy, query.data.maxItems, Number(token[1]));
        return xboxServiceJson({
          titles: page.items.map((t, i) => historyTitleV1(t, Number(token[1]) + i + 1)),
          pagingInfo: pagingInfo(page.token === null ? null : `${page.token},${version}`, legacy.length),
          version,
        });
      }
      // Modern titles with at least one unlock, by titleId (as recorded).
      const modern = titles.filter((t) => t.definition.kind === 'modern' && t.earnedCount > 0).sort((a, b) => a.definition.titleId - b.definition.titleId);
      const offset = offsetTokenSchema.safeParse(query.data.continuationToken ?? '0');
      if (!offset.success) return xboxBadRequest();
      const page = pageOf(modern, query.data.maxItems, offset.data);
      return xboxServiceJson({ titles: page.items.map(historyTitleV2), pagingInfo: pagingInfo(page.token, modern.length) });
    });
  });
};

/** A 360 title's earned achievements with their unlock time, in id order. */
function earnedLegacy(definition: XboxTitleDefinition, owned: XboxOwnedTitle): [XboxAchievementDefinition, number][] {
  const out: [XboxAchievementDefinition, number][] = [];
  definition.achievements.forEach((a, k) => {
    const at = owned.progress.unlockTimes[k] ?? 0;
    if (at > 0) out.push([a, at]);
  });
  return out;
}
