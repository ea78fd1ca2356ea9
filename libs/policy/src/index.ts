export * from './roles';
export * from './permissions';
export * from './masks';
export * from './role-policy';
export * from './customer-view';
