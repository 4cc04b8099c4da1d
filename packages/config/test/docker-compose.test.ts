import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// No Docker engine in CI: the compose file is checked as data.
const root = join(import.meta.dirname, '../../..');
const composeText = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
const compose = parse(composeText, { merge: true }) as {
  services: Record<string, { environment?: Record<string, unknown> | string[]; ports?: (string | number | { host_ip?: string; published?: unknown })[] }>;
};

/** A variable holding a secret: a known value for it is a known way in. */
const SECRET_NAME = /(SECRET|PASSWORD|TOKEN|_KEY|_KEYS)$/;
const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)([^}]*)\}/g;
const references = [...composeText.matchAll(REFERENCE)].map((m) => ({ name: m[1]!, modifier: m[2]! }));

const environments = Object.entries(compose.services).map(([service, definition]) => {
  const env = definition.environment ?? {};
  const entries = Array.isArray(env) ? env.map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]) : Object.entries(env).map(([k, v]) => [k, String(v)] as [string, string]);
  return { service, entries };
});

describe('docker-compose.yml', () => {
  it('references its secrets', () => {
    const secrets = new Set(references.filter((r) => SECRET_NAME.test(r.name)).map((r) => r.name));
    expect([...secrets].sort()).toEqual(
      expect.arrayContaining(['AUTH_WEBHOOK_SECRET', 'BULL_BOARD_PASSWORD', 'CREDENTIALS_ENCRYPTION_KEY', 'POSTGRES_PASSWORD', 'REDIS_PASSWORD', 'STEAM_API_KEY', 'SUPABASE_JWT_SECRET']),
    );
  });

  it('gives no secret a default: every one is ${VAR:?…} and stops compose when unset', () => {
    const bad = references.filter((r) => SECRET_NAME.test(r.name) && !r.modifier.startsWith(':?')).map((r) => `\${${r.name}${r.modifier}}`);
    expect(bad).toEqual([]);
  });

  it('writes no secret literally: secret variables and URL passwords come from ${VAR:?…}', () => {
    const literal: string[] = [];
    for (const { service, entries } of environments) {
      for (const [name, value] of entries) {
        if (SECRET_NAME.test(name) && !/^\$\{[A-Z0-9_]+:\?[^}]*\}$/.test(value)) literal.push(`${service}.${name}`);
        const password = /^[a-z]+:\/\/[^:@/]*:([^@]*)@/.exec(value)?.[1];
        if (password !== undefined && !/^\$\{[A-Z0-9_]+:\?[^}]*\}$/.test(password)) literal.push(`${service}.${name} (URL password)`);
      }
    }
    expect(literal).toEqual([]);
  });

  it('publishes ports on 127.0.0.1 only, never on every interface', () => {
    const open: string[] = [];
    for (const [service, definition] of Object.entries(compose.services)) {
      for (const port of definition.ports ?? []) {
        const hostIp = typeof port === 'object' ? port.host_ip : String(port).split(':').length === 3 ? String(port).split(':')[0] : undefined;
        if (hostIp !== '127.0.0.1') open.push(`${service}: ${JSON.stringify(port)}`);
      }
    }
    expect(open).toEqual([]);
  });

  it('.env.example lists every variable the compose file reads, with secrets left empty', () => {
    const example = readFileSync(join(root, '.env.example'), 'utf8');
    const listed = new Map([...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1]!, m[2]!.trim()]));
    const missing = [...new Set(references.map((r) => r.name))].filter((name) => !listed.has(name));
    expect(missing).toEqual([]);
    // What a copy of the example would set: no secret may come with a value.
    const filledSecrets = [...example.matchAll(/^([A-Z][A-Z0-9_]*)=(.+)$/gm)].filter((m) => SECRET_NAME.test(m[1]!)).map((m) => m[1]);
    expect(filledSecrets).toEqual([]);
  });
});
