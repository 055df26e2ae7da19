import { join } from 'node:path';
import { SqliteEventStore } from 'koji-es/eventstore/sqlite.store';
import { eventStoreContract } from './contract.js';
import { tempDir } from '../helpers/tmp.js';

let n = 0;
const tmp = tempDir('koji-es-sqlite-');
process.on('exit', tmp.cleanup);

eventStoreContract('sqlite', {
  scans: true,
  async open() {
    const path = join(tmp.dir, `store-${++n}.sqlite`);
    const store = new SqliteEventStore(path);
    return { store, url: `sqlite:${path}`, close: () => store.close() };
  },
});
