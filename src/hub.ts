import 'reflect-metadata';
import { Logger, type INestApplication, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CommandBus } from '@nestjs/cqrs';
import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { AppModule } from './app.module.js';
import type { HubConfig } from './config/hub-config.js';
import { openBackend, type StoreBackend } from './eventstore/open.js';
import type { Clock } from './kernel/clock.js';
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

export interface HubOptions {
  clock?: Clock;
  /** Nest's logger: false in tests. */
  logger?: LoggerService | false;
  /** Where the first-start admin password is announced (stderr by default). */
  announce?: (line: string) => void;
  /** The first-start admin password (default: KOJI_ES_ADMIN_PASSWORD, else generated and announced). */
  adminPassword?: string;
}

export interface RunningHub {
  app: INestApplication;
  backend: StoreBackend;
  config: HubConfig;
  /** http://host:port */
  url: string;
  close(): Promise<void>;
}

/**
 * Opens the store, builds the Nest application, seeds an empty store and starts listening. Used by
 * `npm start` (src/main.ts) and by the end-to-end tests, so both run the same hub.
 */
export async function startHub(config: HubConfig, opts: HubOptions = {}): Promise<RunningHub> {
  const backend = await openBackend(config.store);
  let app: INestApplication | null = null;
  try {
    app = await NestFactory.create(AppModule.forRoot({ config, backend, clock: opts.clock }), {
      bodyParser: false,
      logger: opts.logger ?? ['error', 'warn'],
      abortOnError: false,
    });
    app.enableShutdownHooks();
    await app.init();
    app.get(MethodRegistry).assertComplete();
    await bootstrapStore(app, backend, opts);
    await app.listen(config.port, config.host);
    const addr = app.getHttpServer().address() as AddressInfo;
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    const started = app;
    return {
      app,
      backend,
      config,
      url: `http://${host}:${addr.port}`,
      close: async () => {
        await started.close();
        await backend.close();
      },
    };
  } catch (e) {
    if (app) await app.close().catch(() => undefined);
    await backend.close().catch(() => undefined);
    throw e;
  }
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
