// Koji's SleepTask (koji/tasks.py): method `sleep`, `_taskWeight = 0.25`, `handler(n)` sleeps n
// seconds and returns None. Koji checks the argument count (call_with_argcheck → ParameterError);
// here the argument is also checked to be a number of seconds, where Koji's time.sleep would raise
// a TypeError that reaches the hub as a bare traceback.
import { parameterError } from '../kernel/errors.js';
import { pause } from './connection.js';
import type { TaskHandler } from './handler.js';

export const sleepHandler: TaskHandler = {
  method: 'sleep',
  taskWeight: 0.25,
  async run(task, ctx) {
    if (task.args.length !== 1 || Object.keys(task.kwargs).length > 0)
      throw parameterError(
        `sleep takes exactly one argument (seconds), got ${task.args.length} positional and ${Object.keys(task.kwargs).length} keyword`,
      );
    const n = task.args[0];
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0)
      throw parameterError(`sleep: seconds must be a number >= 0, not ${JSON.stringify(n)}`);
    ctx.log.info(`Sleeping for ${n} seconds`);
    await pause(n * 1000, ctx.signal);
    if (!ctx.signal.aborted) ctx.log.info('Finished sleeping');
    return null;
  },
};
