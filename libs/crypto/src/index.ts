export * from './key-store.port';
export * from './crypto.errors';
export * from './key-store.validation';
export * from './sqlite/sqlite-key-store';
export * from './mongodb/mongo-key-store';
export * from './master-key';
export * from './envelope';
export * from './subject-keys';
