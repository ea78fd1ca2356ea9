export * from './describe-when-env';
