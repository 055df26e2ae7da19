import type { Command } from 'commander';
import { action, subcommand, type Runtime } from '../cli/runtime.js';

export interface BuilderCliOptions {
  server?: string;
  host?: string;
  tokenFile?: string;
  passwordFile?: string;
  configDir?: string;
  workdir?: string;
  maxjobs?: string;
  sleeptime?: string;
  shutdownGrace?: string;
  debug?: boolean;
}

/** `koji-es builder`: the daemon is loaded only when the command runs, so other commands start fast. */
export function registerBuilder(program: Command, rt: Runtime): void {
  subcommand(program, rt, 'builder', 'Run a builder daemon (as kojid): take tasks as a host and run them')
    .option('--server <url>', 'URL of the hub ([kojid] server, KOJI_ES_SERVER)')
    .option('--host <name>', 'host name to run as ([kojid] user, KOJI_ES_BUILDER_HOST)')
    .option('--token-file <file>', "file holding the host's API token ([kojid] token_file)")
    .option('--password-file <file>', "file holding the host user's password ([kojid] password_file)")
    .option('--config-dir <dir>', 'configuration directory with builder/builder.conf (KOJI_ES_CONFIG_DIR)')
    .option('--workdir <dir>', 'work directory ([kojid] workdir)')
    .option('--maxjobs <n>', 'most tasks at once ([kojid] maxjobs)')
    .option('--sleeptime <seconds>', 'seconds between passes when idle ([kojid] sleeptime)')
    .option(
      '--shutdown-grace <seconds>',
      'seconds running tasks get to finish on SIGTERM ([kojid] shutdown_grace)',
    )
    .option('--debug', 'log debug lines too')
    .action(
      action(rt, 'builder', async (opts: BuilderCliOptions) => {
        const { runBuilder } = await import('./run.js');
        return runBuilder(
          { ...opts, server: opts.server ?? rt.flags.server, debug: opts.debug ?? rt.flags.debug },
          rt.io,
        );
      }),
    );
}
