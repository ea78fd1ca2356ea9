export * from './redaction.types';
export { redact, restore } from './redact';
export {
  isValidCard,
  isValidIban,
  isValidInn,
  isValidOgrn,
  isValidSnils,
  snilsCheck,
} from './validators';
