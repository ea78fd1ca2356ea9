import { getMetadataStorage } from 'class-validator';
type Storage = ReturnType<typeof getMetadataStorage>;
type ValidationMetadata = ReturnType<Storage['getTargetValidationMetadatas']>[number];
const MEMOISED = Symbol.for('custodian.validationMetadataMemo');

/**
 * class-validator looks up a DTO's rules on every validation of every (nested) object: it
 * filters the class's metadata and walks every class with rules to find its ancestors
 * (`instanceof` against each), then groups the result by property — ~0.04 ms of API CPU per
 * consent grant. The rules of a class do not change once its decorators have run, so the
 * lookup and the grouping are kept per class and options here, and all of it is forgotten
 * whenever a rule is added (a class declared later, or a schema registered). What the
 * validator is given is the very array it would have built: it only reads it.
 *
 * Installed once per process on class-validator's global metadata storage (the one every
 * validation uses); calling it again does nothing.
 */
export function memoiseValidationMetadata(storage: Storage = getMetadataStorage()): void {
  const marked = storage as Storage & { [MEMOISED]?: true };
  if (marked[MEMOISED]) return;
  marked[MEMOISED] = true;

  let lookups = new Map<unknown, Map<string, ValidationMetadata[]>>();
  let groupings = new WeakMap<ValidationMetadata[], Record<string, ValidationMetadata[]>>();
  const forget = () => {
    lookups = new Map<unknown, Map<string, ValidationMetadata[]>>();
    groupings = new WeakMap();
  };

  const add = storage.addValidationMetadata.bind(storage);
  storage.addValidationMetadata = (metadata) => {
    forget();
    add(metadata);
  };
  const lookUp = storage.getTargetValidationMetadatas.bind(storage);
  storage.getTargetValidationMetadatas = (target, schema, always, strictGroups, groups) => {
    // Validation groups are not used by the API; a call with groups is not kept.
    if (groups && groups.length > 0) return lookUp(target, schema, always, strictGroups, groups);
    const key = `${String(schema)}|${always}|${strictGroups}`;
    let byOptions = lookups.get(target);
    if (!byOptions) lookups.set(target, (byOptions = new Map()));
    let found = byOptions.get(key);
    if (!found) byOptions.set(key, (found = lookUp(target, schema, always, strictGroups, groups)));
    return found;
  };
  const group = storage.groupByPropertyName.bind(storage);
  storage.groupByPropertyName = (metadata) => {
    let grouped = groupings.get(metadata);
    if (!grouped) groupings.set(metadata, (grouped = group(metadata)));
    return grouped;
  };
}
