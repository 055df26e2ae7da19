#!/usr/bin/env node
// The koji-es client. It speaks JSON-RPC to the hub and imports nothing from @nestjs, so it
// starts in a few tens of milliseconds.
import { Command, CommanderError } from 'commander';
import { registerBuilder } from '../builder/builder.cli.js';
import { registerFailedTree } from '../modules/failed-tree/failed-tree.cli.js';
import { registerPolicy } from '../modules/policy/policy.cli.js';
import { registerRunroot } from '../modules/runroot/runroot.cli.js';
import { registerSidetag } from '../modules/sidetag/sidetag.cli.js';
import { registerPackages } from '../modules/tags/packages.cli.js';
import { registerTags } from '../modules/tags/tags.cli.js';
import { registerTasks } from '../modules/tasks/tasks.cli.js';
import { registerUsers } from '../modules/users/users.cli.js';
import { KOJI_ES_VERSION } from '../version.js';
import { registerAudit } from '../audit/audit.cli.js';
import { registerCore } from './core.cli.js';
import { ExitSignal, processIo, reportError, Runtime, type Io } from './runtime.js';

export function buildProgram(io: Io): { program: Command; rt: Runtime } {
  const program = new Command('koji-es');
  const rt = new Runtime(program, io);
  program
    .description("Client of koji-es, the hub for Koji's Sidetag, Runroot and Save Failed Tree plugins")
    .version(KOJI_ES_VERSION, '--client-version', 'print the client version')
    .option('-s, --server <url>', 'URL of the hub (KOJI_ES_SERVER; default http://127.0.0.1:8080)')
    .option('--user <user>', 'user name to log in as (KOJI_ES_USER)')
    .option('--password <password>', 'password to log in with (KOJI_ES_PASSWORD)')
    .option('--token <token>', 'API token to authenticate with (KOJI_ES_TOKEN)')
    .option('-p, --profile <profile>', 'profile (section) of ~/.config/koji-es/config to use')
    .option('-q, --quiet', 'print less')
    .option('--noauth', 'do not authenticate')
    .option('-d, --debug', 'show the requests and replies')
    .showHelpAfterError(false)
    .enablePositionalOptions()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s), outputError: () => undefined })
    .exitOverride((e: CommanderError) => {
      if (
        e.code === 'commander.helpDisplayed' ||
        e.code === 'commander.help' ||
        e.code === 'commander.version'
      )
        throw new ExitSignal(0);
      if (e.code === 'commander.executeSubCommandAsync') throw e;
      io.err(`koji-es: error: ${e.message.replace(/^error: /, '')}\n`);
      throw new ExitSignal(2);
    });
  registerCore(program, rt);
  registerAudit(program, rt);
  registerUsers(program, rt);
  registerPolicy(program, rt);
  registerSidetag(program, rt);
  registerFailedTree(program, rt);
  registerRunroot(program, rt);
  registerTasks(program, rt);
  registerTags(program, rt);
  registerPackages(program, rt);
  registerBuilder(program, rt);
  return { program, rt };
}

export async function run(argv: string[], io: Io = processIo): Promise<number> {
  const { program, rt } = buildProgram(io);
  if (argv.length === 0) {
    io.out(program.helpInformation());
    return 2;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    return reportError(rt, program.args[0] ?? 'koji-es', e);
  }
}

if (require.main === module) {
  // `koji-es list-tasks | head` closes our stdout early: that is the reader's choice, not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  void run(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
