import { MemoryEventStore } from 'koji-es/eventstore/memory.store';
import { eventStoreContract } from './contract.js';

eventStoreContract('memory', {
  async open() {
    const store = new MemoryEventStore();
    return { store, close: () => store.close() };
  },
});
