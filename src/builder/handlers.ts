import { HandlerRegistry } from './handler.js';
import { sleepHandler } from './sleep.handler.js';
import { runrootHandler } from '../modules/runroot/runroot.handler.js';
import { saveFailedTreeHandler } from '../modules/failed-tree/failed-tree.handler.js';

/**
 * Every task handler a koji-es builder runs: the one place Runroot (`runroot`) and Save Failed Tree
 * (`saveFailedTree`) register theirs. A builder takes only tasks whose method is here, as kojid
 * skips tasks it has no handler for.
 */
export function builtinHandlers(): HandlerRegistry {
  return new HandlerRegistry()
    .register(sleepHandler)
    .register(runrootHandler)
    .register(saveFailedTreeHandler);
}
