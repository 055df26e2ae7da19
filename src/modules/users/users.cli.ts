import type { Command } from 'commander';
import type { HubClient } from '../../cli/client.js';
import {
  action,
  parseId,
  passwordFromStdin,
  subcommand,
  table,
  UsageError,
  type Runtime,
} from '../../cli/runtime.js';

interface TokenRow {
  id: number;
  name: string | null;
  user_name: string;
  created: string;
  expires: string | null;
  revoked: boolean;
}

/**
 * Koji's grant-permission: every user is looked up first (here in one batch), and a missing one is
 * a usage error before anything changes — a typo in the last name must not leave the others changed.
 */
export async function requireUsers(client: HubClient, names: string[]): Promise<void> {
  const found = await client.batch(names.map((n) => ['getUser', [n]]));
  const missing: string[] = [];
  found.forEach((r, i) => {
    if ('fault' in r) throw r.fault;
    if (r.result === null || r.result === undefined) missing.push(names[i]);
  });
  if (missing.length === 1) throw new UsageError(`No such user: ${missing[0]}`);
  if (missing.length) throw new UsageError(`No such users: ${missing.join(', ')}`);
}

/**
 * The changes of a multi-user command in one request (Koji's multicall): each fault is reported,
 * and any makes the exit status 1.
 */
export async function applyAll(
  rt: Runtime,
  client: HubClient,
  calls: [string, unknown[]][],
): Promise<number> {
  let failed = false;
  for (const r of await client.batch(calls)) {
    if (!('fault' in r)) continue;
    rt.io.err(`koji-es: ${r.fault.faultName}: ${r.fault.message}\n`);
    failed = true;
  }
  return failed ? 1 : 0;
}

/** User, permission, group and token commands (Koji's admin commands, plus tokens). */
export function registerUsers(program: Command, rt: Runtime): void {
  subcommand(program, rt, 'add-user', 'Add a user [admin]')
    .argument('<username>')
    .option('--principal <principal>', 'Kerberos principal of the user')
    .option('--disable', 'create the user blocked')
    .option('--password-stdin', "read the user's password from standard input")
    .action(
      action(
        rt,
        'add-user',
        async (name: string, o: { principal?: string; disable?: boolean; passwordStdin?: boolean }) => {
          const password = o.passwordStdin ? await passwordFromStdin(rt) : null;
          const client = await rt.client(true);
          const id = await client.call<number>('createUser', [name, o.disable ? 1 : 0, o.principal ?? null]);
          if (password !== null) await client.call('setUserPassword', [id, password]);
          if (!rt.quiet) rt.print(`Added user ${name} (${id})`);
        },
      ),
    );

  subcommand(program, rt, 'set-password', "Set a user's password [admin, or the user themself]")
    .argument('<username>')
    .option('--password-stdin', 'read the password from standard input')
    .action(
      action(rt, 'set-password', async (name: string, o: { passwordStdin?: boolean }) => {
        if (!o.passwordStdin)
          throw new UsageError('give the password on standard input with --password-stdin');
        const password = await passwordFromStdin(rt);
        const client = await rt.client(true);
        await client.call('setUserPassword', [name, password]);
      }),
    );

  for (const [cmd, method, summary] of [
    ['enable-user', 'enableUser', 'Enable logins by a user [admin]'],
    ['disable-user', 'disableUser', 'Disable logins by a user [admin]'],
  ] as const) {
    subcommand(program, rt, cmd, summary)
      .argument('<username>')
      .action(
        action(rt, cmd, async (name: string) => {
          const client = await rt.client(true);
          await client.call(method, [name]);
        }),
      );
  }

  subcommand(program, rt, 'grant-permission', 'Grant a permission to users [admin]')
    .argument('<permission>')
    .argument('<user...>')
    .option('--new', 'create the permission if it does not exist')
    .option('--description <text>', 'description of a new permission')
    .action(
      action(
        rt,
        'grant-permission',
        async (perm: string, users: string[], o: { new?: boolean; description?: string }) => {
          if (o.description && !o.new) throw new UsageError('--description only works with --new');
          const client = await rt.client(true);
          await requireUsers(client, users);
          const opts = { create: !!o.new, description: o.description ?? null, __starstar: true };
          return applyAll(
            rt,
            client,
            users.map((u) => ['grantPermission', [u, perm, opts]]),
          );
        },
      ),
    );

  subcommand(program, rt, 'revoke-permission', 'Revoke a permission from users [admin]')
    .argument('<permission>')
    .argument('<user...>')
    .action(
      action(rt, 'revoke-permission', async (perm: string, users: string[]) => {
        const client = await rt.client(true);
        await requireUsers(client, users);
        return applyAll(
          rt,
          client,
          users.map((u) => ['revokePermission', [u, perm]]),
        );
      }),
    );

  subcommand(program, rt, 'list-permissions', "List permissions: all of them, a user's, or yours")
    .option('--user <user>', "list the user's permissions")
    .option('--mine', 'list your own permissions')
    .action(
      action(rt, 'list-permissions', async (o: { user?: string; mine?: boolean }) => {
        if (o.user && o.mine) throw new UsageError('Cannot specify both --user and --mine');
        const client = await rt.client(!!o.mine);
        if (o.mine || o.user) {
          const perms = o.mine
            ? await client.call<string[]>('getPerms')
            : await client.call<string[]>('getUserPerms', [o.user]);
          for (const p of perms) rt.print(p);
          return;
        }
        const perms = await client.call<{ name: string; description: string | null }[]>('getAllPerms');
        table(
          rt,
          ['Permission name', 'Description'],
          perms.map((p) => [p.name, p.description ?? '']),
        );
      }),
    );

  subcommand(program, rt, 'add-group', 'Add a group [admin]')
    .argument('<group>')
    .action(
      action(rt, 'add-group', async (name: string) => {
        const client = await rt.client(true);
        const id = await client.call<number>('newGroup', [name]);
        if (!rt.quiet) rt.print(`Added group ${name} (${id})`);
      }),
    );

  subcommand(program, rt, 'add-group-member', 'Add users to a group [admin]')
    .argument('<group>')
    .argument('<user...>')
    .action(
      action(rt, 'add-group-member', async (group: string, users: string[]) => {
        const client = await rt.client(true);
        await requireUsers(client, users);
        return applyAll(
          rt,
          client,
          users.map((u) => ['addGroupMember', [group, u]]),
        );
      }),
    );

  subcommand(
    program,
    rt,
    'create-token',
    "Create an API token (yours, or as admin any user's); it is shown once",
  )
    .option('--user <user>', 'the user the token authenticates (admin)')
    .option('--name <name>', 'a name to recognise the token by')
    .option('--expires <when>', 'an ISO 8601 time, or a number of seconds from now')
    .action(
      action(rt, 'create-token', async (o: { user?: string; name?: string; expires?: string }) => {
        const client = await rt.client(true);
        const expires =
          o.expires === undefined ? null : /^\d+$/.test(o.expires) ? Number(o.expires) : o.expires;
        const t = await client.call<{ id: number; token: string }>('createAPIToken', [
          o.user ?? null,
          o.name ?? null,
          expires,
        ]);
        if (rt.quiet) rt.print(t.token);
        else {
          rt.print(`Created API token ${t.id}${o.user ? ` for ${o.user}` : ''}. It is shown only this once:`);
          rt.print(t.token);
        }
      }),
    );

  subcommand(program, rt, 'list-tokens', "List API tokens (yours, or as admin a user's)")
    .option('--user <user>', "list the user's tokens (admin)")
    .action(
      action(rt, 'list-tokens', async (o: { user?: string }) => {
        const client = await rt.client(true);
        const rows = await client.call<TokenRow[]>('listAPITokens', [o.user ?? null]);
        table(
          rt,
          ['ID', 'Name', 'User', 'Created', 'Expires', 'State'],
          rows.map((t) => [
            t.id,
            t.name ?? '',
            t.user_name,
            t.created,
            t.expires ?? 'never',
            t.revoked ? 'revoked' : 'active',
          ]),
        );
      }),
    );

  subcommand(program, rt, 'revoke-token', 'Revoke an API token')
    .argument('<id>')
    .action(
      action(rt, 'revoke-token', async (id: string) => {
        const tokenId = parseId(id, 'token id');
        const client = await rt.client(true);
        await client.call('revokeAPIToken', [tokenId]);
      }),
    );
}
