/** Injection tokens shared across modules. */
export const HUB_CONFIG = Symbol('HubConfig');
export const STORE_BACKEND = Symbol('StoreBackend');
export const PROJECTIONS = Symbol('Projections');
