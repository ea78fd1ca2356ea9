export * from './config/custodian-config';
export * from './config/config.module';
export * from './storage/storage.module';
export * from './projections/projections.module';
export * from './health/health.module';
export * from './http/http-error.filter';
export * from './logging/logging.module';
