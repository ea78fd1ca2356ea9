export * from './describe-when-env';
export * from './test-app';
export * from './manual-clock';
export * from './http';
export * from './fixtures';
export * from './scenario';
export * from './routes';
export * from './webhook-receiver';
