export * from './roles';
export * from './permissions';
export * from './masks';
export * from './role-policy';
export * from './customer-view';
export * from './anomaly-rules';
export * from './sandbox-values';
export * from './export-formats';
