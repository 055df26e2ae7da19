import type { Io } from '../cli/runtime.js';
import type { Flags } from '../config/values.js';
import type { BuilderCliOptions } from './builder.cli.js';
import { loadBuilderConfig, requireCredentials } from './config.js';
import { Aborted } from './connection.js';
import { BuilderDaemon, type StopResult } from './daemon.js';
import { builtinHandlers } from './handlers.js';
import { stderrLogger } from './log.js';

/**
 * `koji-es builder` as a process: runs until SIGTERM or SIGINT, then shuts down gracefully. Exit
 * status 0 when every task it held was reported to the hub, 1 otherwise or on a start-up failure.
 */
export async function runBuilder(opts: BuilderCliOptions, io: Io): Promise<number> {
  const flags: Flags = {
    '--server': opts.server,
    '--host': opts.host,
    '--token-file': opts.tokenFile,
    '--password-file': opts.passwordFile,
    '--config-dir': opts.configDir,
    '--workdir': opts.workdir,
    '--maxjobs': opts.maxjobs,
    '--sleeptime': opts.sleeptime,
    '--shutdown-grace': opts.shutdownGrace,
  };
  const config = loadBuilderConfig(flags, io.env);
  requireCredentials(config);
  for (const w of config.warnings) io.err(`koji-es builder: warning: ${w}\n`);
  const log = stderrLogger(!!opts.debug, io.err);
  const daemon = new BuilderDaemon(config, { handlers: builtinHandlers(), log });

  let resolveStopped!: (r: StopResult) => void;
  const stopped = new Promise<StopResult>((r) => (resolveStopped = r));
  const onSignal = (sig: NodeJS.Signals) => {
    log.info(`${sig}: shutting down`);
    void daemon.stop().then(resolveStopped);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    try {
      await daemon.start();
    } catch (e) {
      if (e instanceof Aborted) return (await stopped).unreported.length ? 1 : 0;
      throw e;
    }
    const r = await stopped;
    return r.unreported.length ? 1 : 0;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
