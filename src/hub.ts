import 'reflect-metadata';
import { ConsoleLogger, Logger, type INestApplication, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CommandBus } from '@nestjs/cqrs';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { AppModule } from './app.module.js';
import { startInProcessBuilder, type InProcessBuilder } from './builder/in-process.js';
import { makeLogger } from './builder/log.js';
import type { HubConfig } from './config/hub-config.js';
import type { Flags } from './config/values.js';
import { openBackend, type StoreBackend } from './eventstore/open.js';
import { JOB_LOG_CONTEXTS } from './eventstore/scheduled-job.js';
import type { Clock } from './kernel/clock.js';
import { installHttpDrain } from './http-drain.js';
import { TaskWakeups } from './modules/tasks/task-wakeups.js';
import { SeedChannels } from './modules/tasks/tasks.commands.js';
import { BootstrapHub } from './modules/users/users.commands.js';
import { internalContext } from './rpc/context.js';
import { MethodRegistry } from './rpc/registry.js';

/** Permissions that exist from the first start (Koji's seeded ones, plus runroot and sidetag_admin). */
export const SEEDED_PERMISSIONS = [
  'admin',
  'appliance',
  'dist-repo',
  'host',
  'image',
  'image-import',
  'livecd',
  'maven-import',
  'repo',
  'sign',
  'tag',
  'target',
  'win-admin',
  'win-import',
  'draft-promoter',
  'runroot',
  'sidetag_admin',
];

/**
 * Nest's console logger with errors, warnings, and the `log` lines of the hub's own jobs (what the
 * sidetag cleanup and the failed-tree collector removed); other `log` lines, Nest's start-up
 * chatter among them, stay out.
 */
export class HubLogger extends ConsoleLogger {
  override log(message: unknown, ...rest: unknown[]): void {
    const context = rest.length ? rest[rest.length - 1] : this.context;
    if (typeof context === 'string' && JOB_LOG_CONTEXTS.has(context)) super.log(message, ...rest);
  }
}

export interface HubOptions {
  clock?: Clock;
  /** Nest's logger: false in tests. */
  logger?: LoggerService | false;
  /** Where the first-start admin password is announced (stderr by default). */
  announce?: (line: string) => void;
  /** The first-start admin password (default: KOJI_ES_ADMIN_PASSWORD, else generated and announced). */
  adminPassword?: string;
  /** Run one builder in this process (`npm start`; DESIGN §6). Default false, so tests opt in. */
  withBuilder?: boolean;
  /** builder.conf overrides for that builder, as `koji-es builder` flags (`--sleeptime`, …). */
  builderFlags?: Flags;
}

export interface RunningHub {
  app: INestApplication;
  backend: StoreBackend;
  config: HubConfig;
  /** http://host:port */
  url: string;
  /** The in-process builder, when started with `withBuilder`. */
  builder: InProcessBuilder | null;
  close(): Promise<void>;
}

/**
 * Opens the store, builds the Nest application, seeds an empty store and starts listening. Used by
 * `npm start` (src/main.ts) and by the end-to-end tests, so both run the same hub.
 */
export async function startHub(config: HubConfig, opts: HubOptions = {}): Promise<RunningHub> {
  const backend = await openBackend(config.store);
  let app: INestApplication | null = null;
  let builder: InProcessBuilder | null = null;
  try {
    // Task output, the in-process builder's token and its work directories live here whatever the
    // store; only an SQLite store under it made it as a side effect (a PostgreSQL hub's builder
    // failed to start). After the store: a SQLite path that cannot be made says so first.
    try {
      mkdirSync(config.dataDir, { recursive: true });
    } catch (e) {
      throw new Error(`cannot create the data directory ${config.dataDir}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    app = await NestFactory.create(AppModule.forRoot({ config, backend, clock: opts.clock }), {
      bodyParser: false,
      // Colours only on a terminal (warnings go to stdout, errors to stderr): a log redirected to a
      // file or the journal stays plain text.
      logger:
        opts.logger ??
        new HubLogger({
          logLevels: ['error', 'warn', 'log'],
          colors: !!process.stdout.isTTY && !!process.stderr.isTTY && !process.env.NO_COLOR,
        }),
      abortOnError: false,
    });
    // No Nest shutdown hooks: the process owner's signal handler (src/main.ts) calls close(), which
    // stops the builder before the app (Nest's hooks would close the app under the builder's feet)
    // and drains the HTTP connections first.
    const drain = installHttpDrain(app);
    await app.init();
    app.get(MethodRegistry).assertComplete();
    await bootstrapStore(app, backend, opts);
    await app.listen(config.port, config.host);
    const addr = app.getHttpServer().address() as AddressInfo;
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    const url = `http://${host}:${addr.port}`;
    if (opts.withBuilder) builder = await startBuilder(app, config, addr, opts);
    const started = app;
    const running = builder;
    return {
      app,
      backend,
      config,
      url,
      builder,
      close: async () => {
        // The builder finishes (or fails) its tasks while the hub can still record it.
        await running?.stop();
        await drain(() => started.get(TaskWakeups).release());
        await started.close();
        await backend.close();
      },
    };
  } catch (e) {
    if (builder) await builder.stop().catch(() => undefined);
    if (app) await app.close().catch(() => undefined);
    await backend.close().catch(() => undefined);
    throw e;
  }
}

/** The in-process builder reaches its hub over loopback HTTP, like any remote builder. */
async function startBuilder(
  app: INestApplication,
  config: HubConfig,
  addr: AddressInfo,
  opts: HubOptions,
): Promise<InProcessBuilder> {
  const loopback =
    addr.address === '0.0.0.0'
      ? '127.0.0.1'
      : addr.address === '::'
        ? '[::1]'
        : addr.family === 'IPv6'
          ? `[${addr.address}]`
          : addr.address;
  const nest = new Logger('builder');
  const log = makeLogger((level, line) =>
    level === 'debug'
      ? nest.debug(line)
      : level === 'info'
        ? nest.log(line)
        : level === 'warn'
          ? nest.warn(line)
          : nest.error(line),
  );
  return startInProcessBuilder(app, config, `http://${loopback}:${addr.port}`, {
    log,
    flags: opts.builderFlags,
  });
}

async function bootstrapStore(app: INestApplication, backend: StoreBackend, opts: HubOptions) {
  if ((await backend.events.headCheckpoint()) !== null) return;
  await app.get(CommandBus).execute(new SeedChannels(internalContext(`bootstrap-${randomUUID()}`)));
  const given = opts.adminPassword ?? process.env.KOJI_ES_ADMIN_PASSWORD;
  const password = given && given.length > 0 ? given : randomBytes(12).toString('base64url');
  const created = await app
    .get(CommandBus)
    .execute(new BootstrapHub(internalContext(`bootstrap-${randomUUID()}`), password, SEEDED_PERMISSIONS));
  if (created && !given) {
    const announce = opts.announce ?? ((l: string) => process.stderr.write(`${l}\n`));
    announce(
      `koji-es: created user admin with password ${password} (shown once; set KOJI_ES_ADMIN_PASSWORD before the first start to choose it)`,
    );
  } else if (created) {
    new Logger('koji-es').log('created user admin with the password from KOJI_ES_ADMIN_PASSWORD');
  }
}
