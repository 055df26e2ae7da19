// The builder `npm start` runs beside the hub (DESIGN §6): a host named after the machine, for its
// own arch, in channels `default` and `runroot`, with an API token the hub keeps in
// `<data-dir>/builder.token` (mode 0600). Only the provisioning runs inside the hub; the daemon then
// talks to the hub over HTTP exactly as a remote `koji-es builder` does.
import type { INestApplication } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { endianness, hostname } from 'node:os';
import { join } from 'node:path';
import type { HubConfig } from '../config/hub-config.js';
import type { Flags } from '../config/values.js';
import { CLOCK, type Clock } from '../kernel/clock.js';
import { canonArch } from '../modules/tasks/arches.js';
import { AddHost, ChangeHost } from '../modules/tasks/tasks.commands.js';
import { TasksReader } from '../modules/tasks/tasks.reader.js';
import { CreateApiToken } from '../modules/users/users.commands.js';
import { UsersReader } from '../modules/users/users.reader.js';
import { internalContext } from '../rpc/context.js';
import { CREDENTIAL_RESOLVER, type CredentialResolver } from '../rpc/credentials.js';
import { loadBuilderConfig } from './config.js';
import { BuilderDaemon, type StopResult } from './daemon.js';
import { builtinHandlers } from './handlers.js';
import type { BuilderLogger } from './log.js';

export const TOKEN_FILE = 'builder.token';

/** Koji's canonical arch of this machine (Node's x64 is Koji's x86_64, arm64 is aarch64). */
export function machineArch(arch: string = process.arch): string {
  const koji: Record<string, string> = {
    x64: 'x86_64',
    arm64: 'aarch64',
    ia32: 'i686',
    arm: 'armv7hl',
    ppc64: endianness() === 'LE' ? 'ppc64le' : 'ppc64',
    loong64: 'loongarch64',
  };
  return canonArch(koji[arch] ?? arch);
}

export interface InProcessBuilder {
  daemon: BuilderDaemon;
  host: string;
  tokenFile: string;
  stop(): Promise<StopResult>;
}

export interface InProcessOptions {
  log: BuilderLogger;
  /** builder.conf overrides, as flags (tests shorten `--sleeptime`, `--shutdown-grace`). */
  flags?: Flags;
  env?: NodeJS.ProcessEnv;
  /** The host name (default: the machine's). */
  hostName?: string;
}

/** Writes the token so that no other user can ever read it, replacing the file in one step. */
function writeToken(path: string, token: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${token}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

export async function startInProcessBuilder(
  app: INestApplication,
  config: HubConfig,
  hubUrl: string,
  opts: InProcessOptions,
): Promise<InProcessBuilder> {
  const log = opts.log;
  const name = opts.hostName ?? hostname();
  const bus = app.get(CommandBus);
  const tasks = app.get(TasksReader);
  const users = app.get(UsersReader);
  const clock = app.get<Clock>(CLOCK);
  const ctx = () => internalContext(`builder-${randomUUID()}`, clock.now());

  let host = await tasks.host(name);
  if (!host) {
    const arch = machineArch();
    try {
      await bus.execute(new AddHost(ctx(), name, [arch], null, false));
    } catch (e) {
      throw new Error(
        `cannot create the in-process builder's host ${name}: ${(e as Error).message} (start with --no-builder to run the hub alone)`,
        { cause: e },
      );
    }
    host = await tasks.strictHost(name);
    const runroot = await tasks.strictChannel('runroot');
    if (!host.channels.includes(runroot.id))
      await bus.execute(
        new ChangeHost(ctx(), host.id, {
          kind: 'addChannel',
          channel: { id: runroot.id, name: runroot.name },
        }),
      );
    log.info(`created host ${name} (${arch}) in channels default and runroot`);
  }

  // Reuse the token file while the hub accepts it for this host; repair it when it does not.
  const tokenFile = join(config.dataDir, TOKEN_FILE);
  let token: string | null = null;
  if (existsSync(tokenFile)) {
    if ((statSync(tokenFile).mode & 0o777) !== 0o600) chmodSync(tokenFile, 0o600);
    const found = readFileSync(tokenFile, 'utf8').split('\n')[0].trim();
    const resolved = found
      ? await app
          .get<CredentialResolver>(CREDENTIAL_RESOLVER)
          .resolve({ bearer: found }, 'internal', clock.now())
      : null;
    if (resolved && !resolved.problem && resolved.user?.id === host.user_id) token = found;
    else
      log.warn(
        `${tokenFile} ${resolved?.problem ? `holds a token the hub refuses (${resolved.problem.message})` : found ? `is not a token of host ${name}` : 'is empty'}; writing a new one`,
      );
  }
  if (!token) {
    const user = await users.byId(host.user_id);
    if (!user) throw new Error(`host ${name} has no user ${host.user_id}`);
    token = (await bus.execute(new CreateApiToken(ctx(), user, 'in-process builder', null))).token;
    writeToken(tokenFile, token);
  }

  const builderConfig = loadBuilderConfig(
    {
      ...opts.flags,
      '--config-dir': config.configDir,
      '--server': hubUrl,
      '--host': name,
      '--token-file': tokenFile,
      '--password-file': undefined,
    },
    opts.env ?? process.env,
    process.cwd(),
    { dataDir: config.dataDir },
  );
  for (const w of builderConfig.warnings) log.warn(w);
  const daemon = new BuilderDaemon(builderConfig, { handlers: builtinHandlers(), log });
  await daemon.start();
  return { daemon, host: name, tokenFile, stop: () => daemon.stop() };
}
