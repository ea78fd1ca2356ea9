import { maskValue, type Mask } from './masks';
import type { RoleRules } from './role-policy';

export interface CustomerView {
  /** Field → value as the role may see it; hidden fields are left out. */
  fields: Record<string, string>;
  /** Field → how it was shown (hidden ones too, so the caller knows they exist). */
  masks: Record<string, Mask>;
}

/**
 * The one place that decides what a role sees of a customer: the role's mask per field, and
 * its consent conditions (a field shown only with a consent in force for a purpose flagged so).
 */
export function customerView(
  rules: RoleRules,
  values: Record<string, string>,
  grantedFlags: ReadonlySet<string>,
): CustomerView {
  const fields: Record<string, string> = {};
  const masks = viewMasks(rules, Object.keys(values), grantedFlags);
  for (const [name, value] of Object.entries(values)) {
    const shown = maskValue(name, value, masks[name]);
    if (shown !== null) fields[name] = shown;
  }
  return { fields, masks };
}

/**
 * How each field is shown, decided from the field names alone (no value is needed): the
 * access record that names these masks is appended before any value is decrypted.
 */
export function viewMasks(
  rules: RoleRules,
  names: Iterable<string>,
  grantedFlags: ReadonlySet<string>,
): Record<string, Mask> {
  const masks: Record<string, Mask> = {};
  for (const name of names) {
    let mask = rules.fields[name] ?? rules.otherFields;
    const condition = rules.consentConditions.find((c) => c.field === name);
    if (condition && !grantedFlags.has(condition.purposeFlag)) mask = 'hidden';
    masks[name] = mask;
  }
  return masks;
}
