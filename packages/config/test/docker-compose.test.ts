import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// No Docker engine in CI: the compose file is checked as data.
const root = join(import.meta.dirname, '../../..');
const composeText = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
interface ComposeService {
  environment?: Record<string, unknown> | string[];
  ports?: (string | number | { host_ip?: string; published?: unknown })[];
  command?: string[] | string;
  healthcheck?: { test?: string[] | string; disable?: boolean };
  depends_on?: string[] | Record<string, { condition?: string }>;
}
const compose = parse(composeText, { merge: true }) as { services: Record<string, ComposeService> };

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

/** `npm run <script>` at the root → the file node finally runs (following `npm run start -w <workspace>`). */
function rootScriptEntryFiles(): Map<string, string> {
  const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string>; workspaces: string[] };
  const workspaces = new Map<string, { dir: string; scripts: Record<string, string> }>();
  for (const pattern of rootPackage.workspaces) {
    const parent = pattern.replace(/\/\*$/, '');
    for (const name of readdirSync(join(root, parent))) {
      const dir = join(parent, name);
      try {
        const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as { name: string; scripts?: Record<string, string> };
        workspaces.set(pkg.name, { dir, scripts: pkg.scripts ?? {} });
      } catch {
        // not a workspace package
      }
    }
  }
  const files = new Map<string, string>();
  for (const [script, command] of Object.entries(rootPackage.scripts)) {
    const viaWorkspace = /^npm run (\S+) -w (\S+)$/.exec(command);
    const workspace = viaWorkspace ? workspaces.get(viaWorkspace[2]!) : undefined;
    const [dir, line] = workspace ? [workspace.dir, workspace.scripts[viaWorkspace![1]!] ?? ''] : ['', command];
    const node = /^node (\S+\.ts)(.*)$/.exec(line);
    if (node) files.set(`${join(dir, node[1]!)}${node[2]}`, script);
  }
  return files;
}

/** Every test file's text (what the suite runs), to find the entry points it spawns. */
function testSources(): { path: string; text: string }[] {
  const found: { path: string; text: string }[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.test\.ts$/.test(name)) found.push({ path: relative(root, path), text: readFileSync(path, 'utf8') });
    }
  };
  for (const top of ['packages', 'services', 'scripts', 'db']) walk(join(root, top));
  return found;
}

describe('docker-compose.yml: services, commands, health and start order', () => {
  const services = Object.entries(compose.services);
  const dependedOn = (name: string, condition: string) =>
    services.some(([, s]) => s.depends_on && !Array.isArray(s.depends_on) && s.depends_on[name]?.condition === condition);

  it('runs the api, each worker, the monitor, the sandbox and the migration', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'migrate', 'monitor', 'postgres', 'redis', 'sandbox', 'worker-psn', 'worker-steam', 'worker-xbox']);
  });

  it('every long-running service has a healthcheck; the one-shot migration is waited for by its exit', () => {
    const without = services.filter(([, s]) => !s.healthcheck?.test || s.healthcheck.disable).map(([name]) => name);
    expect(without).toEqual(['migrate']);
    expect(dependedOn('migrate', 'service_completed_successfully')).toBe(true);
  });

  it('every depends_on names a condition that fits the dependency (healthy, or completed for the migration)', () => {
    const bad: string[] = [];
    for (const [name, s] of services) {
      if (Array.isArray(s.depends_on)) bad.push(`${name}: list form has no condition`);
      for (const [dependency, { condition } = {}] of Object.entries(s.depends_on && !Array.isArray(s.depends_on) ? s.depends_on : {})) {
        const expected = compose.services[dependency]?.healthcheck ? 'service_healthy' : 'service_completed_successfully';
        if (!compose.services[dependency]) bad.push(`${name} → ${dependency}: no such service`);
        else if (condition !== expected) bad.push(`${name} → ${dependency}: ${condition ?? 'no condition'} (want ${expected})`);
      }
    }
    expect(bad).toEqual([]);
    // The application services start only once the database is migrated.
    for (const name of ['api', 'worker-psn', 'worker-xbox', 'worker-steam', 'monitor']) {
      expect(compose.services[name]!.depends_on).toMatchObject({ migrate: { condition: 'service_completed_successfully' }, redis: { condition: 'service_healthy' } });
    }
  });

  it("every command is a root npm script's entry point, and a test spawns that entry point", () => {
    const entries = rootScriptEntryFiles();
    const tests = testSources();
    const ownImage = services.filter(([, s]) => s.command && Array.isArray(s.command) && s.command[0] === 'node');
    expect(ownImage.map(([name]) => name).sort()).toEqual(['api', 'migrate', 'monitor', 'sandbox', 'worker-psn', 'worker-steam', 'worker-xbox']);
    const problems: string[] = [];
    const scripts: string[] = [];
    for (const [name, s] of ownImage) {
      const [, file, ...args] = s.command as string[];
      const script = entries.get([file, ...args].join(' '));
      if (!script) {
        problems.push(`${name}: \`${(s.command as string[]).join(' ')}\` is no root npm script`);
        continue;
      }
      scripts.push(script);
      // A test spawns the same file (by its repository path, or relative from its own package's tests).
      const own = file!.split('/src/')[0]!;
      const spawned = tests.some(({ path, text }) => text.includes(file!) || (path.startsWith(`${own}/`) && text.includes(`src/${file!.split('/src/')[1]}`)));
      if (!spawned) problems.push(`${name}: no test runs ${file}`);
    }
    expect(problems).toEqual([]);
    expect(scripts.sort()).toEqual(['db:migrate', 'start:api', 'start:monitor', 'start:sandbox', 'start:worker-psn', 'start:worker-steam', 'start:worker-xbox']);
  });

  it("the workers' heartbeat check passes on a fresh beat and fails on a stale or missing one", () => {
    const dir = mkdtempSync(join(tmpdir(), 'ach-compose-heartbeat-'));
    try {
      for (const worker of ['worker-psn', 'worker-xbox', 'worker-steam']) {
        const { healthcheck, environment } = compose.services[worker]!;
        expect(environment).toMatchObject({ WORKER_HEARTBEAT_FILE: expect.any(String) });
        const [kind, command, ...args] = healthcheck!.test as string[];
        expect([kind, command]).toEqual(['CMD', 'node']);
        const file = join(dir, worker);
        const check = () => spawnSync(process.execPath, args, { env: { WORKER_HEARTBEAT_FILE: file }, timeout: 30_000 }).status;
        expect(check()).toBe(1); // missing
        writeFileSync(file, String(Date.now()));
        expect(check()).toBe(0);
        writeFileSync(file, String(Date.now() - 60_000));
        expect(check()).toBe(1);
        writeFileSync(file, 'garbage');
        expect(check()).toBe(1);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
