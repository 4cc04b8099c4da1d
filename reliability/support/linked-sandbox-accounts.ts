import { builtinPlatforms, type PlatformModule } from '@ach/platform-registry';
import { mapWithConcurrency } from '@ach/sync-engine';
import { sandboxAccountKit, type LibrarySize, type RequestWindow } from './sandbox-account-kits.ts';
import { linkAccount } from './sync-runs.ts';
import type { RunningSystem, ServiceKind } from './system-under-test.ts';

/** A user linked, through the API, to a sandbox account of their own on one platform. */
export interface LinkedSandboxAccount {
  authorization: string;
  userId: string;
  platform: PlatformModule;
  externalId: string;
}

/** Each worker's budget for its platform's request window (`startSystem({ envFor })`); platforms without windows get none. */
export function windowedWorkerEnv(window: RequestWindow): Partial<Record<ServiceKind, Record<string, string>>> {
  return Object.fromEntries(builtinPlatforms.map((p) => [`worker-${p.slug}`, sandboxAccountKit(p).requestWindow?.workerEnv(window) ?? {}]));
}

/**
 * Signs up `users` users and links each to a new sandbox account on every platform (account n =
 * user × platforms + platform, so runs are repeatable), `linksAtOnce` links in flight. The request
 * window is set after linking: the link's own calls are not the sync's to budget.
 */
export async function linkOwnSandboxAccounts(
  system: RunningSystem,
  options: { users: number; library: LibrarySize; window: RequestWindow; linksAtOnce?: number },
): Promise<LinkedSandboxAccount[]> {
  const users = await Promise.all(Array.from({ length: options.users }, () => system.signUp()));
  const links = users.flatMap((user, u) =>
    builtinPlatforms.map((platform, p) => ({ user, platform, account: sandboxAccountKit(platform).create(system.sandbox.state, u * builtinPlatforms.length + p, options.library) })),
  );
  await mapWithConcurrency(links, options.linksAtOnce ?? 1, ({ user, platform, account }) => linkAccount(system, user.authorization, platform.slug, account.linkBody));
  return links.map(({ user, platform, account }) => {
    sandboxAccountKit(platform).requestWindow?.apply(system.sandbox.state, account.externalId, options.window);
    return { ...user, platform, externalId: account.externalId };
  });
}
