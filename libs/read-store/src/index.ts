export * from './read-store.port';
export * from './read-store.errors';
export * from './sqlite/sqlite-read-store';
export * from './mongodb/mongo-read-store';
export * from './find-all';
