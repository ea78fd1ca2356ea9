import type { DataCategory } from '../purposes/purpose.types';
import type { Decider, DomainEvent } from '../shared/decider';
import { conflict } from '../shared/domain-error';
import { BUILT_IN_FIELDS } from './subject.types';

export interface FieldDefinition {
  name: string;
  category: DataCategory;
  description: string;
}

export type FieldDeclared = DomainEvent<'FieldDeclared', FieldDefinition & { declaredAt: string }>;
export const FIELD_CATALOGUE_STREAM = 'catalogue-fields';

export type CatalogueState = Record<string, FieldDefinition>;

/** Custom profile fields, each with its data category; built-in fields cannot be redeclared. */
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
    if (name in BUILT_IN_FIELDS || name in state)
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
