export * from './event-store.port';
export * from './event-store.errors';
export * from './event-ids';
export { validateStreamName } from './append-validation';
export * from './sqlite/sqlite-event-store';
export * from './eventstoredb/esdb-event-store';
export * from './typed-events';
