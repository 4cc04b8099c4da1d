import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { SandboxPluginOptions } from '../sandbox-context.ts';
import { ensureFormParser, serveCall, type CannedResponse } from '../serve-call.ts';
import { STEAM_FAULT_RESPONSES } from './steam-bodies.ts';
import { IDENTIFIER_SELECT, OPENID2_NS, steamOpenIdSignInSchema } from './steam-openid-state.ts';

const HTML_TYPE = 'text/html; charset=UTF-8';

/** Steam shows an HTML error page for a sign-in request it cannot serve. */
const badRequestPage = (why: string): CannedResponse => ({
  status: 400,
  contentType: HTML_TYPE,
  body: `<!DOCTYPE html><html><head><title>Steam Community :: Error</title></head><body><h2>Error</h2><p>Invalid OpenID request: ${why.replace(/[<>&"]/g, '')}</p></body></html>`,
});

const httpUrl = z.url({ protocol: /^https?$/ });
const checkidSetupSchema = z.looseObject({
  'openid.ns': z.literal(OPENID2_NS),
  'openid.mode': z.literal('checkid_setup'),
  'openid.return_to': httpUrl,
  'openid.realm': httpUrl,
  'openid.identity': z.literal(IDENTIFIER_SELECT),
  'openid.claimed_id': z.literal(IDENTIFIER_SELECT),
});

/** Single string values only: a repeated parameter is not a field the provider can act on. */
function stringFields(input: unknown): Record<string, string> {
  const fields: Record<string, string> = {};
  if (input && typeof input === 'object') {
    for (const [name, v] of Object.entries(input)) if (typeof v === 'string') fields[name] = v;
  }
  return fields;
}

/** OpenID 2.0 §9.2.1: return_to must match the realm (same scheme and host, path at or under the realm's). */
function underRealm(returnTo: string, realm: string): boolean {
  const to = new URL(returnTo);
  const base = new URL(realm);
  if (to.protocol !== base.protocol || to.host !== base.host) return false;
  const basePath = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;
  return to.pathname === base.pathname || to.pathname.startsWith(basePath);
}

/**
 * Steam's OpenID provider at its real path (`steamcommunity.com/openid/login`): checkid_setup by GET
 * (or a form POST) answers at once with a 302 back to `openid.return_to` carrying a signed positive
 * assertion for whoever the admin API says signs in; check_authentication by POST answers
 * `ns:http://specs.openid.net/auth/2.0\nis_valid:true|false\n`, true once per issued assertion.
 * `openid.op_endpoint` and the claimed id use the host the request came to, so any base URL works.
 */
export const steamOpenIdRoutes: FastifyPluginAsync<SandboxPluginOptions> = async (app, { sandbox }) => {
  const openid = () => sandbox.state.steamOpenId;
  ensureFormParser(app);

  const checkidSetup = (request: FastifyRequest, fields: Record<string, string>): CannedResponse => {
    const parsed = checkidSetupSchema.safeParse(fields);
    if (!parsed.success) return badRequestPage(parsed.error.issues.map((i) => i.path.join('.')).join(', '));
    const returnTo = parsed.data['openid.return_to'];
    if (!underRealm(returnTo, parsed.data['openid.realm'])) return badRequestPage('openid.return_to is not under openid.realm');
    const origin = `${request.protocol}://${request.host}`;
    const assertion = openid().respond({ opEndpoint: `${origin}/openid/login`, identityBase: `${origin}/openid/id/`, returnTo });
    const location = new URL(returnTo);
    for (const [name, v] of Object.entries(assertion)) location.searchParams.append(name, v);
    return { status: 302, contentType: HTML_TYPE, body: '', headers: { location: location.toString() } };
  };

  app.get('/openid/login', (request, reply) =>
    serveCall(sandbox, reply, { endpoint: 'steam.openidLogin', params: {}, faults: STEAM_FAULT_RESPONSES }, () => checkidSetup(request, stringFields(request.query))),
  );

  app.post('/openid/login', (request, reply) => {
    const fields = stringFields(request.body);
    if (fields['openid.mode'] !== 'check_authentication') {
      return serveCall(sandbox, reply, { endpoint: 'steam.openidLogin', params: {}, faults: STEAM_FAULT_RESPONSES }, () => checkidSetup(request, fields));
    }
    return serveCall(sandbox, reply, { endpoint: 'steam.openidCheckAuthentication', params: {}, faults: STEAM_FAULT_RESPONSES }, () => ({
      status: 200,
      contentType: 'text/plain; charset=utf-8',
      body: `ns:${OPENID2_NS}\nis_valid:${openid().checkAuthentication(fields) ? 'true' : 'false'}\n`,
    }));
  });

  /** `/__sandbox/steam/openid/sign-in`: who signs in on the login page. */
  app.get('/__sandbox/steam/openid/sign-in', async () => openid().signIn());
  app.put('/__sandbox/steam/openid/sign-in', async (request) => openid().setSignIn(steamOpenIdSignInSchema.parse(request.body ?? {})));
};
