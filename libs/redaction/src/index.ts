export * from './redaction.types';
