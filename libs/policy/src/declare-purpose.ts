/** Roles that may declare any purpose: they answer for the processing itself. */
const ANY_PURPOSE: readonly string[] = ['admin', 'dpo'];

/**
 * Whether a role may declare a purpose to read, look up or export customers for it: the
 * purpose lists the roles it allows, and admin and dpo may declare any. (The role policy says
 * separately whether the role may read customers at all.)
 */
export function mayDeclarePurpose(
  role: string,
  purpose: { readonly allowedRoles: readonly string[] },
): boolean {
  return ANY_PURPOSE.includes(role) || purpose.allowedRoles.includes(role);
}
