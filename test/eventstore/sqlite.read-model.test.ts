import { join } from 'node:path';
import { SqliteEventStore } from 'koji-es/eventstore/sqlite.store';
import { SqliteReadModelStore } from 'koji-es/eventstore/sqlite.read-model';
import { readModelContract } from './read-model.contract.js';
import { tempDir } from '../helpers/tmp.js';

let n = 0;
const tmp = tempDir('koji-es-sqlite-rm-');
process.on('exit', tmp.cleanup);

readModelContract('sqlite', {
  async open() {
    const events = new SqliteEventStore(join(tmp.dir, `rm-${++n}.sqlite`));
    const store = new SqliteReadModelStore(events);
    return {
      store,
      close: async () => {
        await store.close();
        await events.close();
      },
    };
  },
});
