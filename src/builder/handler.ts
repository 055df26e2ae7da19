// The builder's task handler interface: what Runroot and Save Failed Tree plug into.
// Rebuilt from Koji's koji/tasks.py BaseTaskHandler (Methods, _taskWeight, weight(), handler(*args))
// and the handler lookup of koji/daemon.py TaskManager (findHandlers). Differences: a handler is a
// plain object run in the builder's process (kojid forks one child per task), it receives its
// arguments already decoded, and cancellation and shutdown arrive through an AbortSignal instead of
// a signal sent to a child process.
import type { TaskUploader } from './uploader.js';
import type { BuilderLogger } from './log.js';

/** A task as the builder received it from `host.openTask` (Koji's task info with its request). */
export interface BuilderTask {
  id: number;
  method: string;
  arch: string;
  channel_id: number;
  priority: number;
  owner: number;
  parent: number | null;
  label: string | null;
  /** Koji's stored request: positional arguments, then `{…, __starstar: true}` for keyword ones. */
  request: unknown[];
  /** The request decoded as Koji's `decode_args`: positional arguments … */
  args: unknown[];
  /** … and keyword arguments (without the `__starstar` marker). */
  kwargs: Record<string, unknown>;
}

/** Calls to the hub as this host; connection failures are retried until the task is aborted. */
export interface HubCalls {
  call<T = unknown>(method: string, params?: unknown[] | Record<string, unknown>): Promise<T>;
}

/** What the builder knows about itself, for handlers that need more than their task directory. */
export interface BuilderInfo {
  host: { id: number; name: string };
  /** The builder's work directory (`<workdir>`); each task's own directory is below it. */
  workdir: string;
  /** Where builder/plugins/*.conf live (`<config-dir>`). */
  configDir: string;
  /** builder.conf `failed_buildroot_lifetime`: seconds a FAILED task's buildroot directory is kept. */
  failedBuildrootLifetimeSec: number;
}

export interface TaskContext {
  readonly hub: HubCalls;
  /** The task's own work directory (`<workdir>/tasks/<id % 10000>/<id>`): created empty, removed after. */
  readonly workdir: string;
  /** Task output: chunked, resumable, sha256-checked uploads (host.uploadFile / host.finishUpload). */
  readonly upload: TaskUploader;
  readonly log: BuilderLogger;
  /**
   * Aborted when the task is canceled on the hub, taken away from this host, or the builder shuts
   * down; `signal.reason` is an {@link AbortReason}. A handler stops its work and returns or throws;
   * the builder reports nothing for an aborted task itself.
   */
  readonly signal: AbortSignal;
  readonly builder: BuilderInfo;
  /** Koji's `host.setTaskWeight` from inside a handler (runroot's `weight` option); also adjusts the builder's own load. */
  setWeight(weight: number): Promise<void>;
}

export interface TaskHandler {
  /** The task method it runs (Koji's `Methods`). */
  readonly method: string;
  /**
   * Koji's `_taskWeight`: how much of a host's capacity the task uses. A function when it depends on
   * the request (Koji's `weight()` override). The builder sets it with `host.setTaskWeight` when the
   * task starts, and takes a task only when its weight fits the host's spare capacity.
   */
  readonly taskWeight: number | ((task: BuilderTask) => number);
  /**
   * Runs the task; the resolved value becomes the task's result (`host.closeTask`). A thrown
   * `KojiError` fails the task with its class and message; anything else fails it as a GenericError.
   */
  run(task: BuilderTask, ctx: TaskContext): Promise<unknown>;
}

export type AbortReason =
  | { kind: 'canceled'; message: string }
  | { kind: 'lost'; message: string }
  | { kind: 'shutdown'; message: string };

export function abortReason(signal: AbortSignal): AbortReason | null {
  const r = signal.reason as AbortReason | undefined;
  return signal.aborted && r && typeof r === 'object' && 'kind' in r ? r : null;
}

/** The handlers a builder runs, by method. Runroot and Save Failed Tree register theirs here. */
export class HandlerRegistry {
  private readonly byMethod = new Map<string, TaskHandler>();

  register(handler: TaskHandler): this {
    if (this.byMethod.has(handler.method))
      throw new Error(`a handler for task method ${handler.method} is already registered`);
    this.byMethod.set(handler.method, handler);
    return this;
  }

  get(method: string): TaskHandler | undefined {
    return this.byMethod.get(method);
  }

  methods(): string[] {
    return [...this.byMethod.keys()].sort();
  }

  /** The handler's weight for this task; Koji's default 1.0 when its weight function fails on the request. */
  weightOf(handler: TaskHandler, task: BuilderTask): number {
    let w: number;
    try {
      w = typeof handler.taskWeight === 'function' ? handler.taskWeight(task) : handler.taskWeight;
    } catch {
      w = 1.0;
    }
    return Number.isFinite(w) && w >= 0 ? w : 1.0;
  }
}

/** Koji's `decode_args`: a trailing dict marked `__starstar` carries the keyword arguments. */
export function decodeArgs(request: unknown[]): { args: unknown[]; kwargs: Record<string, unknown> } {
  const last = request.length ? request[request.length - 1] : undefined;
  if (
    last &&
    typeof last === 'object' &&
    !Array.isArray(last) &&
    (last as Record<string, unknown>).__starstar
  ) {
    const { __starstar: _, ...kwargs } = last as Record<string, unknown>;
    return { args: request.slice(0, -1), kwargs };
  }
  return { args: [...request], kwargs: {} };
}
