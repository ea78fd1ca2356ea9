import { mayDeclarePurpose } from './declare-purpose';

describe('mayDeclarePurpose', () => {
  const support = { allowedRoles: ['support', 'service'] };

  it('allows the roles the purpose lists', () => {
    expect(mayDeclarePurpose('support', support)).toBe(true);
    expect(mayDeclarePurpose('service', support)).toBe(true);
  });

  it('refuses a role the purpose does not list', () => {
    expect(mayDeclarePurpose('marketing', support)).toBe(false);
    expect(mayDeclarePurpose('dashboard', { allowedRoles: [] })).toBe(false);
  });

  it('allows admin and dpo whatever the purpose lists', () => {
    expect(mayDeclarePurpose('admin', { allowedRoles: [] })).toBe(true);
    expect(mayDeclarePurpose('dpo', support)).toBe(true);
  });
});
