#!/usr/bin/env node
// `npm start`: the hub on the embedded SQLite store (see README). Flags win over KOJI_ES_*
// environment variables, which win over <config-dir>/hub/hub.conf.
import { parseArgs } from 'node:util';
import { ConfigError, loadHubConfig } from './config/hub-config.js';
import { EventStoreUnavailableError } from './eventstore/errors.js';
import { redact } from './eventstore/store-url.js';
import { startHub } from './hub.js';
import { compileHubPolicies, unusedPolicyWarnings } from './modules/policy/hub-policies.js';
import { KojiError } from './kernel/errors.js';

const USAGE = `usage: koji-es-hub [--host HOST] [--port PORT] [--data-dir DIR] [--store URL] [--read-store URL] [--config-dir DIR] [--no-builder]`;

function fail(message: string): never {
  process.stderr.write(`koji-es: ${message}\n`);
  process.exit(1);
}

async function main() {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        'data-dir': { type: 'string' },
        store: { type: 'string' },
        'read-store': { type: 'string' },
        'config-dir': { type: 'string' },
        'no-builder': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (e) {
    process.stderr.write(`koji-es: ${(e as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const flags = Object.fromEntries(
    Object.entries(values)
      .filter(([k, v]) => k !== 'help' && typeof v === 'string')
      .map(([k, v]) => [`--${k}`, v as string]),
  );
  // `--no-builder` is the flag level of `[server] builder`: its value is the key's, false.
  if (values['no-builder']) flags['--no-builder'] = 'false';
  let config;
  try {
    config = loadHubConfig(flags);
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message);
    throw e;
  }
  for (const w of config.warnings) process.stderr.write(`koji-es: warning: ${w}\n`);
  try {
    // A broken policy stops start-up before anything opens, with the file, the policy and the line.
    const policies = compileHubPolicies(config.policies, config.policyFile);
    for (const w of unusedPolicyWarnings(config.policies, policies, config.policyFile))
      process.stderr.write(`koji-es: warning: ${w}\n`);
  } catch (e) {
    if (e instanceof KojiError) fail(e.message);
    throw e;
  }
  try {
    const hub = await startHub(config, { withBuilder: config.builder });
    let store = config.store.kind === 'sqlite' ? config.store.path : redact(config.storeText);
    const rs = config.store.kind === 'kurrentdb' ? config.store.readStore : undefined;
    if (rs)
      store += `, read models ${rs.kind === 'sqlite' ? rs.path : rs.kind === 'postgres' ? redact(rs.url) : 'in memory'}`;
    process.stderr.write(`koji-es: hub listening on ${hub.url} (store ${store})\n`);
    if (hub.builder)
      process.stderr.write(
        `koji-es: builder ${hub.builder.host} running in this process (token in ${hub.builder.tokenFile})\n`,
      );
    let closing = false;
    const stop = (signal: string) => {
      if (closing) return;
      closing = true;
      process.stderr.write(`koji-es: ${signal}, shutting down\n`);
      hub.close().then(
        () => process.exit(0),
        (e: unknown) => fail(`shutdown failed: ${(e as Error).message}`),
      );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  } catch (e) {
    if (e instanceof EventStoreUnavailableError || e instanceof ConfigError) fail(e.message);
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE')
      fail(
        `cannot listen on ${config.host}:${config.port}: the address is in use (choose another with --port)`,
      );
    if (err.code === 'EACCES') fail(`cannot listen on ${config.host}:${config.port}: permission denied`);
    if (err.code === 'EADDRNOTAVAIL') fail(`cannot listen on ${config.host}: no such local address`);
    fail(`start-up failed: ${err.message}`);
  }
}

void main();
