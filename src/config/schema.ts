/**
 * Every configuration key koji-es reads: the one table the README documents and the loader and its
 * tests check against. Koji's own keys keep Koji's file, section and name.
 */
export type KeyType = 'bool' | 'int' | 'float' | 'string' | 'path' | 'list' | 'text';

export interface KeySpec {
  file: 'hub/hub.conf' | 'hub/plugins/sidetag.conf' | 'hub/plugins/save_failed_tree.conf' | 'builder/builder.conf' | 'builder/plugins/runroot.conf' | 'builder/plugins/save_failed_tree.conf';
  section: string;
  key: string;
  type: KeyType;
  /** The default as text (what the README shows); undefined means "none". */
  default?: string;
  flag?: string;
  env?: string;
  /** int and float: the smallest value allowed (checked wherever the value comes from). */
  min?: number;
  /** int and float: values must be greater than this (a float whose 0 would spin or divide). */
  above?: number;
  max?: number;
  doc: string;
}

/**
 * Node's timers hold at most 2^31-1 ms; a longer delay is silently replaced by 1 ms, so an interval
 * of a month would run its job in a tight loop instead.
 */
export const TIMER_MAX_SEC = 2147483;

/** The range a number key allows, as start-up errors and the README state it. */
export function rangeText(spec: Pick<KeySpec, 'min' | 'above' | 'max'>): string | null {
  const { min, above, max } = spec;
  if (min !== undefined && max !== undefined) return `between ${min} and ${max}`;
  const low = above !== undefined ? `more than ${above}` : min === 0 ? '0 or more' : min !== undefined ? `at least ${min}` : null;
  if (max === undefined) return low;
  return low ? `${low} and at most ${max}` : `at most ${max}`;
}

export const CONFIG_KEYS: KeySpec[] = [
  // hub/hub.conf [server]: where the hub listens and keeps its data (koji-es keys).
  { file: 'hub/hub.conf', section: 'server', key: 'host', type: 'string', default: '127.0.0.1', flag: '--host', env: 'KOJI_ES_HOST', doc: 'Address the hub listens on.' },
  { file: 'hub/hub.conf', section: 'server', key: 'port', type: 'int', default: '8080', min: 0, max: 65535, flag: '--port', env: 'KOJI_ES_PORT', doc: 'TCP port the hub listens on (0 picks a free one).' },
  { file: 'hub/hub.conf', section: 'server', key: 'data_dir', type: 'path', default: './data', flag: '--data-dir', env: 'KOJI_ES_DATA_DIR', doc: 'Data directory: the SQLite store, task output (`files/`), the in-process builder\'s token and work directories. Made at start if missing, whatever the store.' },
  { file: 'hub/hub.conf', section: 'server', key: 'store', type: 'string', default: 'sqlite:<data_dir>/koji-es.sqlite', flag: '--store', env: 'KOJI_ES_STORE', doc: 'Event store: `sqlite:PATH`, `postgres://user:password@host:port/db` or `kurrentdb://user:password@host:2113` (see [Running against KurrentDB](#running-against-kurrentdb)). Wins over data_dir for the events.' },
  { file: 'hub/hub.conf', section: 'server', key: 'read_store', type: 'string', default: 'sqlite:<data_dir>/read-models.sqlite', flag: '--read-store', env: 'KOJI_ES_READ_STORE', doc: 'With a KurrentDB event store only: the SQL database of the read models and projection checkpoints, `sqlite:PATH` or `postgres://…`. The SQL stores keep them beside the events.' },
  { file: 'hub/hub.conf', section: 'server', key: 'weburl', type: 'string', default: '<origin>/koji', env: 'KOJI_ES_WEBURL', doc: 'Public URL of the web pages (printed in task and repo links).' },
  { file: 'hub/hub.conf', section: 'server', key: 'topurl', type: 'string', default: '<origin>/files', env: 'KOJI_ES_TOPURL', doc: 'Public URL of the task output tree.' },
  { file: 'hub/hub.conf', section: 'server', key: 'projection_wait', type: 'float', default: '5', min: 0, max: TIMER_MAX_SEC, env: 'KOJI_ES_PROJECTION_WAIT', doc: 'Seconds a command waits for the read models to include its events before replying with a warning; 0 replies at once.' },
  { file: 'hub/hub.conf', section: 'server', key: 'builder', type: 'bool', default: 'true', flag: '--no-builder', env: 'KOJI_ES_BUILDER', doc: 'Run one builder in the hub\'s process (`npm start`), as the host named after the machine, authenticated with `<data_dir>/builder.token`. `--no-builder` turns it off.' },
  // hub/hub.conf [hub]: Koji's own hub keys that koji-es honours.
  { file: 'hub/hub.conf', section: 'hub', key: 'MissingPolicyOk', type: 'bool', default: 'true', doc: 'Allow an action when its policy is not configured (Koji).' },
  { file: 'hub/hub.conf', section: 'hub', key: 'VerbosePolicy', type: 'bool', default: 'false', doc: 'Append the matched rule to policy-violation messages (Koji).' },
  { file: 'hub/hub.conf', section: 'hub', key: 'MaxRequestLength', type: 'int', default: '10485760', min: 1024, doc: 'Largest request body accepted, in bytes (Koji). Less than 1024 would refuse ordinary calls.' },
  { file: 'hub/hub.conf', section: 'hub', key: 'SessionLifetime', type: 'int', default: '86400', min: 60, doc: 'Seconds a login session stays valid.' },
  { file: 'hub/hub.conf', section: 'hub', key: 'KojiDebug', type: 'bool', default: 'false', doc: 'Log every internal error with its stack trace (clients still never see one).' },
  { file: 'hub/hub.conf', section: 'hub', key: 'HostTimeout', type: 'int', default: '300', min: 1, doc: 'Seconds without a heartbeat after which a host\'s tasks return to FREE (tasks assigned to it on purpose FAIL).' },
  { file: 'hub/hub.conf', section: 'hub', key: 'RepoManager', type: 'bool', default: 'true', doc: 'Run the repo manager in the hub (as kojira): answer repo requests and regenerate tags with `repo.auto`.' },
  { file: 'hub/hub.conf', section: 'hub', key: 'RepoInterval', type: 'float', default: '2', above: 0, max: TIMER_MAX_SEC, doc: 'Seconds between two passes of the repo manager.' },
  { file: 'hub/hub.conf', section: 'hub', key: 'MaxNameLengthInternal', type: 'int', default: '256', min: 0, doc: 'Longest tag, target, user, host, group, channel or created permission name; 0 turns the length check off (Koji).' },
  { file: 'hub/hub.conf', section: 'hub', key: 'RegexNameInternal', type: 'string', default: '^[A-Za-z0-9/_.+-]+$', doc: 'Pattern tag, target, host, group, channel and created permission names must match (Koji; user names are not matched against it).' },
  // hub/plugins/sidetag.conf [sidetag]: Koji's sidetag plugin keys, plus koji-es's cleanup schedule.
  { file: 'hub/plugins/sidetag.conf', section: 'sidetag', key: 'remove_empty', type: 'bool', default: 'false', doc: 'Remove a sidetag when its last build is untagged (in the same atomic append as the untag).' },
  { file: 'hub/plugins/sidetag.conf', section: 'sidetag', key: 'allowed_suffixes', type: 'string', default: '', doc: 'Comma-separated suffixes `createSideTag(…, suffix=…)` accepts; empty allows none. Entries are stripped (Koji does not strip them).' },
  { file: 'hub/plugins/sidetag.conf', section: 'sidetag', key: 'name_template', type: 'string', default: '{basetag}-side-{tag_id}', doc: 'Sidetag name; must contain `{basetag}` and `{tag_id}` (checked at start-up). `{tag_id}` is the id really assigned.' },
  { file: 'hub/plugins/sidetag.conf', section: 'sidetag', key: 'trigger_new_repo', type: 'bool', default: 'false', doc: 'Queue a repo request for every new sidetag, so `add-sidetag --wait` gets a repo.' },
  { file: 'hub/plugins/sidetag.conf', section: 'sidetag', key: 'cleanup_interval', type: 'float', default: '0', min: 0, max: TIMER_MAX_SEC, doc: 'Seconds between cleanups run by the hub itself; 0 turns them off.' },
  { file: 'hub/plugins/sidetag.conf', section: 'sidetag', key: 'cleanup_stages', type: 'list', default: 'expired empty old inactive', doc: 'Which cleanup stages the hub runs (`expired`: past the expiry its owner set with setSideTagExpiry; `empty`, `old`, `inactive`: koji-sidetag-cleanup\'s).' },
  { file: 'hub/plugins/sidetag.conf', section: 'sidetag', key: 'cleanup_empty_delay', type: 'float', default: '1', min: 0, doc: 'Days an empty sidetag may live (as koji-sidetag-cleanup --empty-delay).' },
  { file: 'hub/plugins/sidetag.conf', section: 'sidetag', key: 'cleanup_old_delay', type: 'float', default: '30', min: 0, doc: 'Days any sidetag may live (--old-delay).' },
  { file: 'hub/plugins/sidetag.conf', section: 'sidetag', key: 'cleanup_inactive_delay', type: 'float', default: '10', min: 0, doc: 'Days since the last build was tagged in (--inactive-delay).' },
  { file: 'hub/plugins/sidetag.conf', section: 'sidetag', key: 'cleanup_ignore_tags', type: 'list', default: '', doc: 'Globs of sidetag names the hub\'s cleanup never removes (--ignore-tags).' },
  // builder/builder.conf [kojid]: kojid.conf's key names, plus koji-es's credential files and shutdown grace.
  { file: 'builder/builder.conf', section: 'kojid', key: 'server', type: 'string', default: 'http://127.0.0.1:8080', flag: '--server', env: 'KOJI_ES_SERVER', doc: 'URL of the hub (its origin, `/rpc` or a Koji-style `…/kojihub`). The in-process builder always uses its own hub.' },
  { file: 'builder/builder.conf', section: 'kojid', key: 'user', type: 'string', flag: '--host', env: 'KOJI_ES_BUILDER_HOST', doc: 'The host to run as (its user name, as `addHost` made it). Needed with a password; with a token it is checked against the token\'s host.' },
  { file: 'builder/builder.conf', section: 'kojid', key: 'token_file', type: 'path', flag: '--token-file', env: 'KOJI_ES_BUILDER_TOKEN_FILE', doc: 'File holding the host\'s API token (`koji-es create-token --user HOST`), sent as `Authorization: Bearer`.' },
  { file: 'builder/builder.conf', section: 'kojid', key: 'password_file', type: 'path', flag: '--password-file', env: 'KOJI_ES_BUILDER_PASSWORD_FILE', doc: 'File holding the host user\'s password (first line), for `login` instead of a token.' },
  { file: 'builder/builder.conf', section: 'kojid', key: 'workdir', type: 'path', default: '<data_dir>/builder/<host>', flag: '--workdir', env: 'KOJI_ES_BUILDER_WORKDIR', doc: 'Work directory; each task works in `tasks/<id % 10000>/<id>` below it. Default: under the hub\'s data directory for the in-process builder, `./data/builder/<host>` for `koji-es builder`.' },
  { file: 'builder/builder.conf', section: 'kojid', key: 'maxjobs', type: 'int', default: '10', min: 1, flag: '--maxjobs', env: 'KOJI_ES_BUILDER_MAXJOBS', doc: 'Most tasks run at once, whatever their weights (kojid).' },
  { file: 'builder/builder.conf', section: 'kojid', key: 'sleeptime', type: 'float', default: '1', above: 0, max: TIMER_MAX_SEC, flag: '--sleeptime', env: 'KOJI_ES_BUILDER_SLEEPTIME', doc: 'Seconds between two passes (heartbeat, cancel check, taking tasks) when the last pass took nothing (kojid\'s default is 15).' },
  { file: 'builder/builder.conf', section: 'kojid', key: 'failed_buildroot_lifetime', type: 'int', default: '14400', min: 0, env: 'KOJI_ES_BUILDER_FAILED_BUILDROOT_LIFETIME', doc: 'Seconds a FAILED task\'s buildroot directory is kept (for `saveFailedTree`) before it is removed (kojid).' },
  { file: 'builder/builder.conf', section: 'kojid', key: 'shutdown_grace', type: 'float', default: '30', min: 0, max: TIMER_MAX_SEC, flag: '--shutdown-grace', env: 'KOJI_ES_BUILDER_SHUTDOWN_GRACE', doc: 'On SIGTERM, seconds running tasks get to finish; the rest FAIL with "builder H shut down before the task finished".' },
  // builder/plugins/runroot.conf: Koji's runroot.conf ([runroot] internal_dev_setup, [paths], [pathN]) plus koji-es's sandbox keys.
  { file: 'builder/plugins/runroot.conf', section: 'runroot', key: 'internal_dev_setup', type: 'bool', doc: 'Koji\'s key (mock\'s `internal_dev_setup`): read, with no effect; the sandbox always gives the command a minimal `/dev` of its own.' },
  { file: 'builder/plugins/runroot.conf', section: 'runroot', key: 'driver', type: 'string', default: 'auto', doc: 'Sandbox driver: `bwrap` (bubblewrap), `unshare` (util-linux unshare + chroot, in a user namespace) or `auto` (bwrap when it works on this host, else unshare). With none usable a runroot task fails with a BuildrootError naming what to install.' },
  { file: 'builder/plugins/runroot.conf', section: 'runroot', key: 'install_command', type: 'string', doc: 'Command run inside the buildroot, in the sandbox, to install a task\'s `packages` (appended as arguments), e.g. `/usr/bin/dnf -y install`. Unset: a task asking for packages fails.' },
  { file: 'builder/plugins/runroot.conf', section: 'runroot', key: 'timeout', type: 'float', default: '86400', min: 0, doc: 'Wall-clock seconds a runroot command (and its package install) may take; then its whole process tree is killed and the task fails. 0: no limit.' },
  { file: 'builder/plugins/runroot.conf', section: 'runroot', key: 'max_log_size', type: 'int', default: '104857600', min: 0, doc: 'Bytes of output `runroot.log` keeps; past it the log stops growing and ends with a note, while the command runs on. 0: no limit.' },
  { file: 'builder/plugins/runroot.conf', section: 'runroot', key: 'network', type: 'bool', default: 'false', doc: 'Give runroot commands the network. Otherwise they see only loopback, unless the tag\'s (inherited) extra `runroot.network` is true.' },
  { file: 'builder/plugins/runroot.conf', section: 'runroot', key: 'default_rootfs', type: 'path', doc: 'Base of every buildroot whose tag has no extra `runroot.rootfs`: a directory (copied with `cp -a --reflink=auto`) or a tarball (extracted with GNU tar). Unset: an empty root with the host\'s `/usr` bound read-only.' },
  { file: 'builder/plugins/runroot.conf', section: 'runroot', key: 'allowed_rootfs', type: 'list', default: '', doc: 'Comma-separated directories under which a tag\'s extra `runroot.rootfs` must lie (segment by segment, symlinks resolved). Empty: tags cannot choose a base root (their `runroot.rootfs` fails the task).' },
  { file: 'builder/plugins/runroot.conf', section: 'runroot', key: 'capture_on_failure', type: 'list', default: '', doc: 'Comma-separated globs (relative to the buildroot\'s root, `**` crosses directories, dot files included), e.g. `builddir/**/*.log, **/core.*, var/log/dnf*.log`: when a runroot command fails, the matching files are archived at once as task output `failure-capture.tar.gz` — no need to ask `save-failed-tree` before the buildroot is gone. The Save Failed Tree filters (`[filters] paths` and the mandatory credential rules) apply. Empty: nothing is captured.' },
  { file: 'builder/plugins/runroot.conf', section: 'runroot', key: 'capture_max_size', type: 'int', default: '52428800', min: 1, doc: 'Bytes of file contents a failure capture holds at most; matching files past it are left out (and named in the task\'s log).' },
  { file: 'builder/plugins/runroot.conf', section: 'paths', key: 'default_mounts', type: 'list', default: '', doc: '(Koji) Comma-separated mount points bound read-only into every buildroot; each needs a `[pathN]` section covering it.' },
  { file: 'builder/plugins/runroot.conf', section: 'paths', key: 'safe_roots', type: 'list', default: '', doc: '(Koji) Comma-separated directories under which a task\'s extra `mounts` are bound read-write, compared segment by segment (`/mnt/workdir/tmp` does not admit `/mnt/workdir/tmpevil`; Koji compares string prefixes).' },
  { file: 'builder/plugins/runroot.conf', section: 'paths', key: 'path_subs', type: 'text', default: '', doc: '(Koji) One `prefix,replacement` pair per line, applied to extra mounts at the start of the path only (Koji: anywhere); the safe roots are checked again afterwards.' },
  { file: 'builder/plugins/runroot.conf', section: 'pathN', key: 'mountpoint', type: 'string', doc: '(Koji) Sections `[path0]`, `[path1]`, … in numeric order (gaps allowed): where the mount appears in the buildroot. The first section whose mountpoint contains a path (segment by segment) serves it.' },
  { file: 'builder/plugins/runroot.conf', section: 'pathN', key: 'path', type: 'string', doc: '(Koji) With `bind` in `options`: the host directory bound at `mountpoint`. Otherwise Koji\'s mount source (e.g. `server:/export`), unused: koji-es never mounts on the host and binds the host\'s own `mountpoint`, which must already be mounted there.' },
  { file: 'builder/plugins/runroot.conf', section: 'pathN', key: 'fstype', type: 'string', doc: '(Koji) Required, informational (no host-side mounts).' },
  { file: 'builder/plugins/runroot.conf', section: 'pathN', key: 'options', type: 'string', doc: '(Koji) Required. `bind` makes `path` the source; `bg` is refused. Default mounts are read-only and extra mounts read-write, whatever `ro`/`rw` says.' },
  // hub/plugins/save_failed_tree.conf: Koji's [permissions] plus koji-es's download rule and retention.
  { file: 'hub/plugins/save_failed_tree.conf', section: 'permissions', key: 'allowed_methods', type: 'string', default: 'buildArch,runroot', doc: 'Comma-separated methods of failed tasks whose buildroot may be saved; a lone `*` allows all (Koji).' },
  { file: 'hub/plugins/save_failed_tree.conf', section: 'permissions', key: 'download', type: 'string', default: 'owner', doc: '`owner` (the task\'s owner and admins) or `anyone`: who may download a saved tree, by every path to its bytes.' },
  { file: 'hub/plugins/save_failed_tree.conf', section: 'retention', key: 'max_age_days', type: 'float', default: '14', min: 0, doc: 'Saved trees older than this are deleted by the collector; 0 keeps them forever.' },
  { file: 'hub/plugins/save_failed_tree.conf', section: 'retention', key: 'max_total_bytes', type: 'int', default: '0', min: 0, doc: 'Total size of all saved trees; the oldest go first beyond it. 0 means no limit.' },
  { file: 'hub/plugins/save_failed_tree.conf', section: 'retention', key: 'per_owner_max_bytes', type: 'int', default: '0', min: 0, doc: 'Total size of one owner\'s saved trees; their oldest go first beyond it. 0 means no limit.' },
  { file: 'hub/plugins/save_failed_tree.conf', section: 'retention', key: 'gc_interval', type: 'float', default: '3600', min: 0, max: TIMER_MAX_SEC, doc: 'Seconds between two runs of the collector in the hub; 0 turns it off (`koji-es failed-tree-gc` still works).' },
  // builder/plugins/save_failed_tree.conf: Koji's builder plugin file ([filters] paths; the volume in [general] or, as Koji ships it, [global]).
  { file: 'builder/plugins/save_failed_tree.conf', section: 'filters', key: 'paths', type: 'text', doc: '(Koji) Whitespace-separated Python fnmatch globs (`*` also crosses `/`, case-sensitive), each tried against the member name (relative to the buildroot, e.g. `etc/krb5.keytab`) and against `/` + the name; a matching directory drops its subtree. Besides these, `tmp/krb5cc*`, `*.keytab` and the usual credential files (`.netrc`, `.ssh/id_*`, … see [Save Failed Tree](#save-failed-tree)) are always left out, at any depth.' },
  { file: 'builder/plugins/save_failed_tree.conf', section: 'general', key: 'volume', type: 'string', default: 'failed-tree', doc: '(Koji) Volume the tarballs are uploaded to; `DEFAULT` is the default volume (`<data_dir>/files/work/…`). Re-read on every task.' },
  { file: 'builder/plugins/save_failed_tree.conf', section: 'global', key: 'volume', type: 'string', doc: 'Read when `[general]` has no `volume`: Koji ships its file with `[global] volume = DEFAULT`, a section Koji\'s code never reads.' },
];

/** Sections whose keys are free-form (each key is a policy name, …). */
export const OPEN_SECTIONS: { file: KeySpec['file']; section: string; doc: string }[] = [
  { file: 'hub/hub.conf', section: 'policy', doc: 'One key per policy (`sidetag`, `tag`, …); the value is the rule set in Koji\'s policy language.' },
];

export function keysOf(file: KeySpec['file'], section: string): KeySpec[] {
  return CONFIG_KEYS.filter((k) => k.file === file && k.section === section);
}

/** The range in the README's type column: `int ≥ 1`, `int 0–65535`, `float > 0, ≤ 2147483`. */
function rangeShort(k: KeySpec): string {
  if (k.min !== undefined && k.max !== undefined && k.above === undefined) return ` ${k.min}–${k.max}`;
  const parts = [k.above !== undefined ? `> ${k.above}` : k.min !== undefined ? `≥ ${k.min}` : null, k.max !== undefined ? `≤ ${k.max}` : null];
  const text = parts.filter(Boolean).join(', ');
  return text ? ` ${text}` : '';
}

/** The README's configuration table, generated from CONFIG_KEYS (a test keeps them equal). */
export function configTableMarkdown(): string {
  const rows = CONFIG_KEYS.map(
    (k) =>
      `| \`${k.file}\` | \`[${k.section}]\` | \`${k.key}\` | ${k.type}${rangeShort(k)} | ${k.default !== undefined ? `\`${k.default}\`` : '—'} | ${[k.flag, k.env].filter(Boolean).map((x) => `\`${x}\``).join(', ') || '—'} | ${k.doc} |`,
  );
  const open = OPEN_SECTIONS.map((s) => `| \`${s.file}\` | \`[${s.section}]\` | *any* | text | — | — | ${s.doc} |`);
  return ['| file | section | key | type | default | flag, env | meaning |', '|---|---|---|---|---|---|---|', ...rows, ...open].join('\n');
}
