// The builder daemon: kojid's TaskManager (koji/daemon.py) and main loop (builder/kojid), rebuilt
// in one Node process. Per pass, as kojid: check the tasks it runs against the hub (updateTasks:
// a task canceled or taken away is aborted), report `host.updateHost(task_load, ready)`, then take
// tasks from `host.getTasks()` with `host.openTask` (getNextTask/takeTask) and set each one's weight
// from its handler (`host.setTaskWeight`); sleep `sleeptime` only when nothing was taken.
// Deliberate differences from kojid:
// - tasks run as async handlers in this process, not forked children; cancel and shutdown reach them
//   through an AbortSignal;
// - the builder checks its own spare capacity (Koji's weight rule, as the hub's getTasks) and
//   `maxjobs` before opening a task, so it never opens more than fits even when the hub's list is stale;
// - a handler's non-Koji error fails the task with a GenericError naming the error, without the
//   traceback kojid sends; the stack stays in the builder's log;
// - SIGTERM lets running tasks finish within `shutdown_grace`, then FAILS the rest with "builder H
//   shut down before the task finished" (kojid frees them, and has no grace period);
// - a builder that restarts finds tasks still OPEN on its host from before and fails them (kojid
//   frees them; the hub API has no host.freeTasks);
// - a lost connection is retried with capped backoff for as long as it takes (kojid gives up after
//   max_retries), and tasks the builder holds stay its own across a hub restart.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { HubClient } from '../cli/client.js';
import { KojiError } from '../kernel/errors.js';
import { sweepBuildroots, sweepDue } from './buildroot.js';
import type { BuilderConfig } from './config.js';
import { workdirFor } from './config.js';
import { Aborted, HubConnection, isTransient, pause, type Backoff } from './connection.js';
import {
  abortReason,
  decodeArgs,
  type AbortReason,
  type BuilderTask,
  type HandlerRegistry,
  type TaskContext,
  type TaskHandler,
} from './handler.js';
import type { BuilderLogger } from './log.js';
import { TaskUploader } from './uploader.js';

const OPEN = 1;
const CANCELED = 3;

/** A task as the hub's getTasks/openTask/getTaskInfo return it (the fields the builder reads). */
interface WireTask {
  id: number;
  state: number;
  method: string;
  arch: string;
  channel_id: number;
  priority: number;
  owner: number;
  parent: number | null;
  label: string | null;
  host_id: number | null;
  weight: number;
  request?: unknown[];
}

interface WireHost {
  id: number;
  name: string;
  capacity: number;
  enabled: boolean;
}

export interface Fault {
  faultCode: number;
  faultString: string;
  name: string;
}

type Outcome = { ok: true; result: unknown } | { ok: false; fault: Fault };

interface Running {
  task: BuilderTask;
  weight: number;
  /** The weight the hub already has for the task (from host.openTask), if known. */
  hubWeight: number | null;
  ctl: AbortController;
  /** running: the handler runs; reporting: its outcome is on the way to the hub. */
  phase: 'running' | 'reporting';
  done: Promise<void>;
}

export interface DaemonDeps {
  handlers: HandlerRegistry;
  log: BuilderLogger;
  backoff?: Backoff;
}

export interface StopResult {
  /** Tasks failed because the grace period ended before they did. */
  failed: number[];
  /** Outcomes the hub never received (it was unreachable until the end). */
  unreported: number[];
}

/** How often the builder looks for buildroot directories to remove, at the least. */
const SWEEP_EVERY_MS = 60_000;
/** The longest one host.waitForTasks call waits (the idle wait itself is `sleeptime`). */
const LONG_POLL_MAX_MS = 2000;
/** How long aborted handlers get to clean up (kill their processes) after the grace period. */
const ABORT_SETTLE_MS = 5000;
/** How long, past the grace period, a stopping builder keeps trying to report to an unreachable hub. */
const REPORT_MARGIN_MS = 10_000;

export const shutdownMessage = (host: string) => `builder ${host} shut down before the task finished`;

function toBuilderTask(t: WireTask): BuilderTask {
  const request = Array.isArray(t.request) ? t.request : [];
  return {
    id: t.id,
    method: t.method,
    arch: t.arch,
    channel_id: t.channel_id,
    priority: t.priority,
    owner: t.owner,
    parent: t.parent,
    label: t.label,
    request,
    ...decodeArgs(request),
  };
}

const describe = (e: unknown): string =>
  e instanceof KojiError ? `${e.faultName}: ${e.message}` : ((e as Error)?.message ?? String(e));

export class BuilderDaemon {
  readonly conn: HubConnection;
  private readonly handlers: HandlerRegistry;
  private readonly log: BuilderLogger;
  private readonly backoff: Backoff;

  private hostId = 0;
  private hostName = '';
  private capacity = 0;
  private enabled = true;
  private workdir = '';

  private readonly running = new Map<number, Running>();
  /** Tasks whose openTask answer was lost with the connection: ours or not, the hub will say. */
  private readonly uncertain = new Set<number>();
  private readonly skipped = new Set<number>();

  /** Set by stop(): no new tasks; passes go on (heartbeat, cancel check) while tasks finish. */
  private draining = false;
  /** Set when the grace period is over: the loop ends. */
  private stopping = false;
  /** Aborted by stop(): connecting waits end early. */
  private readonly stopCtl = new AbortController();
  /** Aborted when the loop must end: its backoff waits end early. */
  private readonly loopCtl = new AbortController();
  /** Aborted REPORT_MARGIN_MS after the grace period: reports to an unreachable hub give up. */
  private readonly reportCtl = new AbortController();
  private loopDone: Promise<void> | null = null;
  private stopPromise: Promise<StopResult> | null = null;
  private woken = false;
  private wakeup: (() => void) | null = null;

  constructor(
    readonly config: BuilderConfig,
    deps: DaemonDeps,
  ) {
    this.handlers = deps.handlers;
    this.log = deps.log;
    this.backoff = deps.backoff ?? { minMs: Math.min(200, config.sleeptimeMs), maxMs: 10_000 };
    const sessionHome = config.host ? join(workdirFor(config, config.host), '.session') : config.workRoot;
    const client = new HubClient(
      {
        name: 'builder',
        server: config.server,
        weburl: '',
        topurl: null,
        user: config.host,
        password: config.password,
        token: config.token,
        pollInterval: config.sleeptimeMs / 1000,
        configFile: '',
      },
      // A password session is cached (mode 0600) under the builder's own work directory, not the
      // home of whoever runs it.
      { env: { XDG_CONFIG_HOME: sessionHome }, onWarning: (w) => this.log.debug(`hub warning: ${w}`) },
    );
    this.conn = new HubConnection(client, this.log, this.backoff);
  }

  get host(): { id: number; name: string } {
    return { id: this.hostId, name: this.hostName };
  }

  /** Sum of the weights of the tasks this builder runs (Koji's task_load). */
  load(): number {
    let n = 0;
    for (const r of this.running.values()) n += r.weight;
    return n;
  }

  runningTasks(): number[] {
    return [...this.running.keys()];
  }

  /**
   * Authenticates as the host (waiting for the hub as long as it takes), fails tasks left OPEN on
   * this host by an earlier run, and starts the loop. A refused credential is fatal: it throws.
   */
  async start(): Promise<void> {
    const stop = this.stopCtl.signal;
    if (this.config.password) {
      for (let delay = this.backoff.minMs; ; delay = Math.min(this.backoff.maxMs, delay * 2)) {
        if (stop.aborted) throw new Aborted(stop.reason);
        try {
          await this.conn.client.ensureAuth();
          break;
        } catch (e) {
          if (!isTransient(e)) throw e;
          this.log.warn(`cannot log in yet: ${describe(e)}`);
        }
        await pause(this.conn.jitter(delay), stop);
      }
    }
    this.hostId = await this.conn.retry<number>('host.getID', [], stop);
    const h = await this.conn.retry<WireHost>('getHost', [this.hostId, true], stop);
    if (this.config.host && h.name !== this.config.host)
      throw new KojiError(
        'AuthError',
        `the credentials are those of host ${h.name}, not ${this.config.host} (--host / [kojid] user)`,
      );
    this.hostName = h.name;
    this.capacity = h.capacity;
    this.enabled = h.enabled;
    this.workdir = workdirFor(this.config, h.name);
    await mkdir(this.workdir, { recursive: true });
    await this.failLeftovers();
    this.log.info(
      `host ${h.name} (id ${h.id}) ready: capacity ${h.capacity}, maxjobs ${this.config.maxjobs}, sleeptime ${
        this.config.sleeptimeMs / 1000
      } s, workdir ${this.workdir}; methods ${this.handlers.methods().join(', ')}`,
    );
    this.loopDone = this.loop();
  }

  /** kojid frees the tasks of a previous run it finds OPEN; with no host.freeTasks here they FAIL. */
  private async failLeftovers(): Promise<void> {
    const stale = await this.conn.retry<WireTask[]>(
      'listTasks',
      [{ state: [OPEN], host_id: [this.hostId] }],
      this.stopCtl.signal,
    );
    for (const t of stale) {
      const fault: Fault = {
        faultCode: 1000,
        faultString: `builder ${this.hostName} restarted while the task was running`,
        name: 'GenericError',
      };
      try {
        await this.conn.retry('host.failTask', [t.id, fault], this.stopCtl.signal);
        this.log.warn(`task ${t.id} (${t.method}) was left OPEN by an earlier run of this builder: failed`);
      } catch (e) {
        if (e instanceof Aborted) throw e;
        this.log.warn(
          `task ${t.id} was left OPEN by an earlier run; the hub refused to fail it: ${describe(e)}`,
        );
      }
    }
  }

  private async loop(): Promise<void> {
    let delay = this.backoff.minMs;
    while (!this.stopping) {
      let took: boolean;
      try {
        took = await this.pass();
        delay = this.backoff.minMs;
      } catch (e) {
        if (!isTransient(e)) this.log.error(`pass failed: ${describe(e)}`);
        await pause(
          this.conn.jitter(Math.max(delay, isTransient(e) ? 0 : this.config.sleeptimeMs)),
          this.loopCtl.signal,
        );
        delay = Math.min(this.backoff.maxMs, delay * 2);
        continue;
      }
      if (!took) await this.idle(this.config.sleeptimeMs);
    }
  }

  /** One pass of kojid's loop: updateTasks, updateHost, getNextTask. True when a task was taken. */
  private async pass(): Promise<boolean> {
    await this.resolveUncertain();
    // Koji's readyForTask: below maxjobs (kojid also looks at disk space and the load average).
    const ready = !this.draining && this.running.size < this.config.maxjobs;
    // Independent of each other, so asked at once: a task the hub hints at starts sooner.
    const [h] = await Promise.all([
      this.conn.call<WireHost>('getHost', [this.hostId, true]),
      this.checkRunning(),
      this.conn.call('host.updateHost', [this.load(), ready]),
    ]);
    this.capacity = h.capacity;
    this.enabled = h.enabled;
    if (Date.now() >= Math.min(this.nextSweep, sweepDue(this.workdir))) await this.sweep();
    if (!ready || !this.enabled) return false;
    return this.claim();
  }

  /** When the next look at kept buildroot directories is due (kojid's cleanup of old buildroots). */
  private nextSweep = 0;

  /**
   * Removes buildroot directories whose `failed_buildroot_lifetime` is over, or that a dead run
   * of this builder left behind, and records each removal on the hub (buildroot.ts).
   */
  private async sweep(): Promise<void> {
    this.nextSweep = Date.now() + SWEEP_EVERY_MS;
    try {
      const next = await sweepBuildroots({ call: (m, p) => this.conn.call(m, p) }, this.workdir, this.log);
      if (next !== null) this.nextSweep = Math.min(this.nextSweep, Date.now() + next);
    } catch (e) {
      this.log.warn(`buildroot sweep: ${describe(e)}`);
    }
  }

  /** Koji's weight rule, as the hub's getTasks: the weight fits the spare capacity, or the host is idle. */
  private fits(weight: number): boolean {
    const load = this.load();
    return load === 0 || load + weight <= this.capacity + 1e-9;
  }

  private async claim(): Promise<boolean> {
    const offered = await this.conn.call<WireTask[]>('host.getTasks');
    let took = false;
    for (const t of offered) {
      if (this.draining || this.running.size >= this.config.maxjobs) break;
      if (this.running.has(t.id)) continue;
      const handler = this.handlers.get(t.method);
      if (!handler) {
        if (!this.skipped.has(t.id))
          this.log.debug(`skipping task ${t.id}: no handler for method ${t.method}`);
        // Remembered only to log each once; forgotten wholesale so a long run does not grow it forever.
        if (this.skipped.size > 10_000) this.skipped.clear();
        this.skipped.add(t.id);
        continue;
      }
      const weight = this.handlers.weightOf(handler, toBuilderTask(t));
      if (!this.fits(weight)) continue;
      let info: WireTask;
      try {
        info = await this.conn.call<WireTask>('host.openTask', [t.id]);
      } catch (e) {
        if (isTransient(e)) {
          this.uncertain.add(t.id);
          throw e;
        }
        // Another host opened it first (or it was canceled): normal, not an error.
        this.log.debug(`task ${t.id} not taken: ${describe(e)}`);
        continue;
      }
      this.launch(toBuilderTask(info), handler, weight, info.weight);
      took = true;
    }
    return took;
  }

  /** After a lost openTask answer: the hub says whether the task became ours. */
  private async resolveUncertain(): Promise<void> {
    for (const id of [...this.uncertain]) {
      const info = await this.conn.call<WireTask | null>('getTaskInfo', [id, true]);
      this.uncertain.delete(id);
      if (!info || info.state !== OPEN || info.host_id !== this.hostId || this.running.has(id)) continue;
      const handler = this.handlers.get(info.method);
      if (this.draining || !handler) {
        await this.conn.call('host.failTask', [id, this.shutdownFault()]).catch(() => undefined);
        continue;
      }
      this.log.info(`task ${id}: the hub had opened it for us before the connection broke`);
      const task = toBuilderTask(info);
      this.launch(task, handler, this.handlers.weightOf(handler, task), info.weight);
    }
  }

  /** kojid's updateTasks: a task canceled on the hub, or no longer this host's, is aborted here. */
  private async checkRunning(): Promise<void> {
    const ids = [...this.running.values()].filter((r) => r.phase === 'running').map((r) => r.task.id);
    if (!ids.length) return;
    const infos = await this.conn.call<(WireTask | null)[]>('getTaskInfo', [ids]);
    ids.forEach((id, i) => {
      const rt = this.running.get(id);
      if (!rt || rt.phase !== 'running') return;
      const info = infos[i];
      let reason: AbortReason | null = null;
      if (info?.state === CANCELED) reason = { kind: 'canceled', message: `task ${id} was canceled` };
      else if (!info || info.state !== OPEN || info.host_id !== this.hostId)
        reason = {
          kind: 'lost',
          message: `task ${id} is no longer this host's (${info ? `state ${info.state}, host ${info.host_id}` : 'gone'})`,
        };
      if (reason) {
        this.log.info(`${reason.message}: stopping its handler`);
        rt.ctl.abort(reason);
      }
    });
  }

  private launch(
    task: BuilderTask,
    handler: TaskHandler,
    weight: number,
    hubWeight: number | null = null,
  ): void {
    const rt: Running = {
      task,
      weight,
      hubWeight,
      ctl: new AbortController(),
      phase: 'running',
      done: Promise.resolve(),
    };
    this.running.set(task.id, rt);
    rt.done = this.runTask(rt, handler)
      .catch((e: unknown) => this.log.error(`task ${task.id}: ${(e as Error)?.stack ?? String(e)}`))
      .finally(() => {
        this.running.delete(task.id);
        this.wake();
      });
  }

  private async runTask(rt: Running, handler: TaskHandler): Promise<void> {
    const { task } = rt;
    const log = this.log.child(`task ${task.id} (${task.method})`);
    const signal = rt.ctl.signal;
    log.info(`started, weight ${rt.weight}`);
    try {
      // The hub changes nothing when the weight is the one it has: spare the task that round trip.
      if (rt.hubWeight !== rt.weight)
        await this.conn.retry('host.setTaskWeight', [task.id, rt.weight], signal);
    } catch (e) {
      if (e instanceof Aborted) return;
      // checkRunning aborts the task on the next pass if it is no longer ours.
      log.warn(`could not set the task's weight: ${describe(e)}`);
    }
    const dir = join(this.workdir, 'tasks', String(task.id % 10000), String(task.id));
    let outcome: Outcome;
    try {
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      const ctx: TaskContext = {
        hub: { call: (m, p = []) => this.conn.retry(m, p, signal) },
        workdir: dir,
        upload: new TaskUploader(this.conn, task.id, signal),
        log,
        signal,
        builder: {
          host: this.host,
          workdir: this.workdir,
          configDir: this.config.configDir,
          failedBuildrootLifetimeSec: this.config.failedBuildrootLifetimeSec,
        },
        setWeight: async (w: number) => {
          await this.conn.retry('host.setTaskWeight', [task.id, w], signal);
          rt.weight = w;
        },
      };
      const result = await handler.run(task, ctx);
      outcome = { ok: true, result: result === undefined ? null : result };
      if (!serializable(outcome.result))
        outcome = {
          ok: false,
          fault: {
            faultCode: 1000,
            faultString: `the ${task.method} handler returned a result that cannot be sent as JSON`,
            name: 'GenericError',
          },
        };
    } catch (e) {
      // An aborted handler's error is the abort itself: nothing to log, nothing to report.
      outcome = { ok: false, fault: signal.aborted ? this.shutdownFault() : this.faultOf(e, task, log) };
    } finally {
      // kojid removes a task's work directory when the handler returns (BaseTaskHandler.run).
      await rm(dir, { recursive: true, force: true }).catch((e: unknown) =>
        log.warn(`could not remove ${dir}: ${(e as Error).message}`),
      );
    }
    const aborted = abortReason(signal);
    if (aborted) {
      // Canceled or taken away: the hub already has its state. Shutdown: stop() reported it.
      log.info(`stopped: ${aborted.message}`);
      return;
    }
    rt.phase = 'reporting';
    await this.report(task.id, outcome, log);
  }

  /** A KojiError keeps its class and message; anything else becomes a GenericError without a traceback. */
  private faultOf(e: unknown, task: BuilderTask, log: BuilderLogger): Fault {
    if (e instanceof KojiError) {
      log.warn(`failed: ${e.faultName}: ${e.message}`);
      return { faultCode: e.faultCode, faultString: e.message, name: e.faultName };
    }
    const err = e instanceof Error ? e : new Error(String(e));
    log.error(`failed with an unexpected error: ${err.stack ?? err.message}`);
    return {
      faultCode: 1000,
      faultString: `${err.name}: ${err.message} (an unexpected error in the ${task.method} handler on host ${this.hostName}; its log has the details)`,
      name: 'GenericError',
    };
  }

  private async report(taskId: number, outcome: Outcome, log: BuilderLogger): Promise<boolean> {
    const [method, response] = outcome.ok
      ? (['host.closeTask', outcome.result] as const)
      : (['host.failTask', outcome.fault] as const);
    try {
      await this.conn.retry(method, [taskId, response], this.reportCtl.signal);
      log.info(outcome.ok ? 'CLOSED' : `FAILED: ${outcome.fault.faultString}`);
      return true;
    } catch (e) {
      if (e instanceof Aborted) {
        log.error(`the hub stayed unreachable: its ${outcome.ok ? 'result' : 'failure'} was not reported`);
        this.unreported.push(taskId);
      } else log.warn(`the hub refused ${method}: ${describe(e)}`);
      return false;
    }
  }

  private readonly unreported: number[] = [];

  private shutdownFault(): Fault {
    return { faultCode: 1000, faultString: shutdownMessage(this.hostName), name: 'GenericError' };
  }

  /**
   * Sleeps until the next pass is due, or until something wakes the loop: a task ended, stop, or
   * the hub's hint that a task was made (host.waitForTasks, a long-poll in place of kojid's sleep).
   */
  private async idle(ms: number): Promise<void> {
    if (!this.woken)
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t);
          resolve();
        };
        const t = setTimeout(done, ms);
        this.wakeup = done;
        if (this.longPoll)
          void this.waitForTasks(ms).then((woken) => {
            if (woken) done();
          });
      });
    this.wakeup = null;
    this.woken = false;
  }

  /** The hub's wake-up generation this builder saw last; null before the first answer. */
  private wakeGeneration: number | null = null;
  /** False once the hub turned out not to have host.waitForTasks: plain sleeps from then on. */
  private longPoll = true;

  /**
   * True when the hub says a task was made within `ms`. Each call waits at most a few seconds, so
   * a stopping builder is never held up long by one still open.
   */
  private async waitForTasks(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    for (let round = 0; round < 2; round++) {
      const left = Math.min(deadline - Date.now(), LONG_POLL_MAX_MS);
      if (left < 10) return false;
      const since = this.wakeGeneration;
      let r: { woken: boolean; generation: number };
      try {
        r = await this.conn.call('host.waitForTasks', [left / 1000, since]);
      } catch (e) {
        if (e instanceof KojiError && /Invalid method/.test(e.message)) this.longPoll = false;
        return false;
      }
      this.wakeGeneration = r.generation;
      // Without a generation the hub answers at once; the second round really waits.
      if (since !== null) return r.woken;
    }
    return false;
  }

  private wake(): void {
    this.woken = true;
    this.wakeup?.();
  }

  /**
   * SIGTERM: take nothing more, let running tasks finish within `shutdown_grace`, then fail the
   * rest with the shutdown fault, so no task stays OPEN. Safe to call more than once.
   */
  stop(): Promise<StopResult> {
    this.stopPromise ??= this.shutdown();
    return this.stopPromise;
  }

  /** Waits for the running tasks to end, at most `ms`. */
  private settle(ms: number): Promise<void> {
    return settleWithin(
      [...this.running.values()].map((r) => r.done),
      ms,
    );
  }

  private async shutdown(): Promise<StopResult> {
    this.draining = true;
    this.stopCtl.abort({ kind: 'shutdown', message: 'the builder is stopping' });
    this.wake();
    const grace = this.config.shutdownGraceMs;
    const reportTimer = setTimeout(() => this.reportCtl.abort('report deadline'), grace + REPORT_MARGIN_MS);
    const failed: number[] = [];
    try {
      if (this.running.size) {
        // The loop goes on meanwhile, reporting not ready, so the hub's host timeout never fires
        // and a task canceled during the grace period is still noticed.
        this.log.warn(
          `stopping: taking no new tasks; waiting up to ${grace / 1000} s for ${this.running.size} running task(s)`,
        );
        await this.settle(grace);
      }
      this.stopping = true;
      this.loopCtl.abort();
      this.wake();
      await this.loopDone;
      if (this.loopDone) await this.conn.call('host.updateHost', [this.load(), false]).catch(() => undefined);
      const reports: Promise<boolean>[] = [];
      for (const rt of this.running.values()) {
        if (rt.phase !== 'running') continue;
        const reason: AbortReason = { kind: 'shutdown', message: shutdownMessage(this.hostName) };
        rt.ctl.abort(reason);
        failed.push(rt.task.id);
        // The stopped handler first gets a moment to put what its task made on the hub (a runroot
        // command's log so far) while the task is still OPEN; then the task FAILS.
        reports.push(
          settleWithin([rt.done], ABORT_SETTLE_MS).then(() =>
            this.report(
              rt.task.id,
              { ok: false, fault: this.shutdownFault() },
              this.log.child(`task ${rt.task.id} (${rt.task.method})`),
            ),
          ),
        );
      }
      for (const id of this.uncertain) {
        const info = await this.conn.call<WireTask | null>('getTaskInfo', [id]).catch(() => null);
        if (info?.state === OPEN && info.host_id === this.hostId)
          reports.push(
            this.report(id, { ok: false, fault: this.shutdownFault() }, this.log.child(`task ${id}`)),
          );
      }
      await Promise.all(reports);
      // Aborted handlers get a moment to clean up after themselves (child processes, sandboxes).
      await this.settle(ABORT_SETTLE_MS);
      if (this.loopDone) await this.conn.call('host.updateHost', [0, false]).catch(() => undefined);
    } finally {
      clearTimeout(reportTimer);
    }
    this.log.info(
      `stopped${failed.length ? `; failed ${failed.length} task(s) that did not finish in time: ${failed.join(', ')}` : ''}`,
    );
    return { failed, unreported: [...this.unreported] };
  }
}

/** Resolves when `promises` have settled or `ms` passed, whichever is first, leaving no timer behind. */
async function settleWithin(promises: Promise<unknown>[], ms: number): Promise<void> {
  const ctl = new AbortController();
  await Promise.race([Promise.allSettled(promises), pause(ms, ctl.signal)]);
  ctl.abort();
}

function serializable(v: unknown): boolean {
  try {
    JSON.stringify(v);
    return true;
  } catch {
    return false;
  }
}
