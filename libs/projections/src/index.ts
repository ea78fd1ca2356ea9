export * from './projection.definition';
export * from './projection-runner';
export * from './projection-catalog';
export * from './batched';
