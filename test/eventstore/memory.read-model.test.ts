import { MemoryReadModelStore } from 'koji-es/eventstore/memory.read-model';
import { readModelContract } from './read-model.contract.js';

readModelContract('memory', {
  async open() {
    const store = new MemoryReadModelStore();
    return { store, close: () => store.close() };
  },
});
