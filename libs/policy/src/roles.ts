/** The roles shipped in the default policy. */
export const ROLES = [
  'admin',
  'dpo',
  'service',
  'sales',
  'marketing',
  'support',
  'analyst',
  'dashboard',
] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
