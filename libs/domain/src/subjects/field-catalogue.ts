import type { DataCategory } from '../purposes/purpose.types';
import type { Decider, DomainEvent } from '../shared/decider';
import { conflict, invalid } from '../shared/domain-error';
import { BUILT_IN_FIELDS } from './subject.types';

export interface FieldDefinition {
  name: string;
  category: DataCategory;
  description: string;
}

export type FieldDeclared = DomainEvent<'FieldDeclared', FieldDefinition & { declaredAt: string }>;
export const FIELD_CATALOGUE_STREAM = 'catalogue-fields';

export type CatalogueState = Record<string, FieldDefinition>;

/**
 * Names a custom field may not take: the keys that export rows, the customer view and the
 * subject-access bundle put beside the fields themselves (an export row is
 * `{ subjectId, <field>… }`: a field named `subjectId` would overwrite the real id column), and
 * the names every JavaScript object already has (`constructor`, `toString`…).
 */
export const RESERVED_FIELD_NAMES: ReadonlySet<string> = new Set([
  // export rows (NDJSON keys, CSV columns) and sandbox rows
  'subjectId',
  // the customer view (GET /v1/subjects/{id}/view)
  'purposeId',
  'role',
  'policyVersion',
  'fields',
  'masks',
  'consents',
  // the subject-access bundle (GET /v1/subjects/{id}/dsar) and each of its profile entries
  'generatedAt',
  'controller',
  'profile',
  'source',
  'registeredAt',
  'accessLog',
  'recipients',
  // AI processing (issue 17): the view's and the bundle's insights, the bundle's AI answer
  'insights',
  'ai',
  'value',
  'category',
  // Object.prototype's own names
  ...Object.getOwnPropertyNames(Object.prototype),
]);

/** Custom profile fields, each with its data category; built-in and reserved names cannot be declared. */
export const fieldCatalogueDecider: Decider<
  { type: 'DeclareField'; field: FieldDefinition },
  CatalogueState,
  FieldDeclared,
  { now: Date }
> = {
  initialState: () => ({}),
  evolve: (state, event) => {
    const { declaredAt: _declaredAt, ...field } = event.data;
    return { ...state, [field.name]: field };
  },
  decide(command, state, { now }) {
    const { name } = command.field;
    if (RESERVED_FIELD_NAMES.has(name))
      throw invalid(
        'name',
        `"${name}" is reserved: exports, views or the subject-access bundle use it themselves`,
      );
    if (Object.hasOwn(BUILT_IN_FIELDS, name) || Object.hasOwn(state, name))
      throw conflict('name', `field "${name}" is already in the catalogue`);
    return [{ type: 'FieldDeclared', data: { ...command.field, declaredAt: now.toISOString() } }];
  },
};

/** Every field a profile may hold: built-ins plus the declared ones. */
export function catalogueFields(custom: CatalogueState): Record<string, FieldDefinition> {
  const builtIn = Object.fromEntries(
    Object.entries(BUILT_IN_FIELDS).map(([name, f]) => [
      name,
      { name, category: f.category, description: f.description },
    ]),
  );
  return { ...builtIn, ...custom };
}
