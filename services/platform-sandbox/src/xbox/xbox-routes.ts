import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { SandboxPluginOptions } from '../sandbox-context.ts';
import { ensureFormParser, serveCall } from '../serve-call.ts';
import { xboxAdminRoutes } from './xbox-admin-routes.ts';
import { xboxDataRoutes } from './xbox-data-routes.ts';
import type { XboxSandboxAccount } from './xbox-state.ts';
import { MSA_INVALID_GRANT, msaError, msaFaults, xboxInstant, xboxJson, xboxServiceFaults, xboxServiceJson, xboxUnauthorized, xstsRefusal } from './xbox-wire.ts';

const MBI_SSL_SCOPE = 'service::user.auth.xboxlive.com::MBI_SSL';

const msaFormSchema = z.object({
  grant_type: z.literal('refresh_token'),
  client_id: z.string().min(1),
  refresh_token: z.string().min(1),
  scope: z.string().optional(),
});

const userAuthenticateSchema = z.object({
  RelyingParty: z.literal('http://auth.xboxlive.com'),
  TokenType: z.literal('JWT'),
  Properties: z.object({
    AuthMethod: z.literal('RPS'),
    SiteName: z.literal('user.auth.xboxlive.com'),
    // `t=` for MBI_SSL tokens, `d=` for Azure-app (Xboxlive.signin) tokens.
    RpsTicket: z.string().regex(/^[td]=.+$/),
  }),
});

const xstsAuthorizeSchema = z.object({
  RelyingParty: z.literal('http://xboxlive.com'),
  TokenType: z.literal('JWT'),
  Properties: z.object({ SandboxId: z.literal('RETAIL'), UserTokens: z.array(z.string().min(1)).min(1) }),
});

const profileParamsSchema = z.object({ target: z.string().regex(/^xuid\(\d+\)$/) });
const profileQuerySchema = z.object({ settings: z.string().min(1) });

/** The settings profile.xboxlive.com knows for an account (values are strings, as recorded). */
function profileSettings(account: XboxSandboxAccount): Record<string, string> {
  return {
    GameDisplayName: account.gamertag,
    GameDisplayPicRaw: account.displayPicRaw,
    Gamerscore: String(account.gamerscore),
    Gamertag: account.gamertag,
    ModernGamertag: account.gamertag,
    ModernGamertagSuffix: '',
    UniqueModernGamertag: account.gamertag,
    RealNameOverride: account.realName,
    Bio: account.bio,
    AccountTier: 'Gold',
    XboxOneRep: 'GoodPlayer',
    PreferredColor: 'http://dlassets.xboxlive.com/public/content/ppl/colors/00000.json',
    IsQuarantined: '0',
  };
}

/**
 * Xbox Live endpoints at their real paths: the token chain (`/oauth20_token.srf`, `/user/authenticate`,
 * `/xsts/authorize`), profile settings, and the achievement/titlehub data services (xbox-data-routes.ts).
 * Every answer goes through `serveCall`.
 */
export const xboxRoutes: FastifyPluginAsync<SandboxPluginOptions> = async (app, { sandbox }) => {
  const xbox = sandbox.state.xbox;
  ensureFormParser(app);
  await app.register(xboxAdminRoutes, { prefix: '/__sandbox/xbox', sandbox });
  await app.register(xboxDataRoutes, { sandbox });

  app.post('/oauth20_token.srf', (request, reply) =>
    serveCall(sandbox, reply, { endpoint: 'xbox.msaToken', params: {}, faults: msaFaults }, () => {
      const form = msaFormSchema.safeParse(request.body ?? {});
      if (!form.success) {
        const grant = (request.body as Record<string, unknown> | undefined)?.grant_type;
        return grant !== undefined && grant !== 'refresh_token'
          ? msaError('unsupported_grant_type', 'The provided value for the input parameter \'grant_type\' is not valid.')
          : msaError('invalid_request', 'The request is missing a required parameter.');
      }
      const refreshed = xbox.refreshMsa(form.data.refresh_token);
      if (!refreshed) return MSA_INVALID_GRANT();
      return xboxJson({
        token_type: 'bearer',
        expires_in: refreshed.expiresIn,
        scope: form.data.scope ?? MBI_SSL_SCOPE,
        access_token: refreshed.accessToken,
        refresh_token: refreshed.refreshToken,
        user_id: BigInt(refreshed.account.xuid).toString(16),
      });
    }),
  );

  app.post('/user/authenticate', (request, reply) =>
    serveCall(sandbox, reply, { endpoint: 'xbox.userAuthenticate', params: {}, faults: xboxServiceFaults }, () => {
      const body = userAuthenticateSchema.safeParse(request.body);
      if (!body.success) return { status: 400, contentType: 'text/plain; charset=utf-8', body: '' };
      const issued = xbox.issueUserToken(body.data.Properties.RpsTicket.slice(2));
      if (!issued) return xboxUnauthorized();
      return xboxJson({
        IssueInstant: xboxInstant(issued.token.issuedAt),
        NotAfter: xboxInstant(issued.token.notAfter),
        Token: issued.token.token,
        DisplayClaims: { xui: [{ uhs: issued.account.userHash }] },
      });
    }),
  );

  app.post('/xsts/authorize', (request, reply) =>
    serveCall(sandbox, reply, { endpoint: 'xbox.xstsAuthorize', params: {}, faults: xboxServiceFaults }, () => {
      const body = xstsAuthorizeSchema.safeParse(request.body);
      if (!body.success) return { status: 400, contentType: 'text/plain; charset=utf-8', body: '' };
      const account = xbox.accountForUserToken(body.data.Properties.UserTokens[0]!);
      if (!account) return xboxUnauthorized();
      if (account.xstsError !== undefined) return xstsRefusal(account.xstsError);
      const xsts = xbox.issueXsts(account.xuid);
      // Claim order as recorded (xbox/xsts-authorize.json); xid is a string.
      return xboxJson({
        IssueInstant: xboxInstant(xsts.issuedAt),
        NotAfter: xboxInstant(xsts.notAfter),
        Token: xsts.token,
        DisplayClaims: { xui: [{ gtg: account.gamertag, xid: account.xuid, uhs: account.userHash, agg: account.ageGroup, usr: '', utr: '', prv: '' }] },
      });
    }),
  );

  app.get('/users/:target/profile/settings', (request, reply) => {
    const params = profileParamsSchema.safeParse(request.params);
    const xuid = params.success ? params.data.target.slice('xuid('.length, -1) : undefined;
    return serveCall(sandbox, reply, { endpoint: 'xbox.profileSettings', params: { xuid }, faults: xboxServiceFaults }, () => {
      const auth = /^XBL3\.0 x=([^;]+);(.+)$/.exec(request.headers.authorization ?? '');
      if (!auth || !xbox.accountForXsts(auth[1]!, auth[2]!)) return xboxUnauthorized();
      const query = profileQuerySchema.safeParse(request.query);
      if (!xuid || !query.success) return { status: 400, contentType: 'text/plain; charset=utf-8', body: '' };
      const account = xbox.accountByXuid(xuid);
      if (!account) return { status: 404, contentType: 'text/plain; charset=utf-8', body: '' };
      const known = profileSettings(account);
      const requested = query.data.settings.split(',').filter((id) => id in known);
      return xboxServiceJson({
        profileUsers: [{ id: account.xuid, hostId: account.xuid, settings: requested.map((id) => ({ id, value: known[id] })), isSponsoredUser: false }],
      });
    });
  });
};
