import { fold } from '@custodian/domain';
import { DEFAULT_ROLE_POLICY, type RolePolicyPublished } from '@custodian/policy';
import { rolePolicyDecider } from './role-policy.decider';

const roles = DEFAULT_ROLE_POLICY.roles;
const published = (version: number, publishedAt: string): RolePolicyPublished => ({
  type: 'RolePolicyPublished',
  data: { version, roles, publishedAt },
});
const decide = (history: RolePolicyPublished[], now: string) =>
  rolePolicyDecider.decide({ type: 'PublishRolePolicy', roles }, fold(rolePolicyDecider, history), {
    now: new Date(now),
  });

describe('role policy decider', () => {
  it('given nothing published, when a policy is published, then it is version 1', () => {
    expect(decide([], '2026-05-01T00:00:00.000Z')).toEqual([
      published(1, '2026-05-01T00:00:00.000Z'),
    ]);
  });

  it('given versions 1 and 2, when another is published, then it is version 3', () => {
    const history = [
      published(1, '2026-04-01T00:00:00.000Z'),
      published(2, '2026-04-02T00:00:00.000Z'),
    ];
    expect(decide(history, '2026-05-01T00:00:00.000Z')).toEqual([
      published(3, '2026-05-01T00:00:00.000Z'),
    ]);
  });
});
