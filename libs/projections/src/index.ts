export * from './projection.definition';
export * from './projection-runner';
export * from './projection-catalog';
export * from './batched';
export * from './projection-lag';
export * from './operations/event-counts.projection';
