import { spec } from '../testing/given-when-then';
import { purposeAt, purposeDecider } from './purpose.decider';
import type { PurposeEvent } from './purpose.events';
import { purposeDefinition } from '../testing/purpose.fixtures';

const now = new Date('2026-03-01T09:00:00.000Z');
const at = now.toISOString();
const registered: PurposeEvent = {
  type: 'PurposeRegistered',
  data: { ...purposeDefinition(), registeredAt: '2026-01-01T00:00:00.000Z' },
};
const notice = {
  version: 'v1',
  language: 'en',
  url: 'https://example.com/n/v1',
  textSha256: 'a'.repeat(64),
  requiresReconsent: false,
};
const published: PurposeEvent = {
  type: 'NoticePublished',
  data: { purposeId: 'newsletter', ...notice, publishedAt: '2026-01-02T00:00:00.000Z' },
};
const activated: PurposeEvent = {
  type: 'PurposeActivated',
  data: { purposeId: 'newsletter', activatedAt: '2026-01-03T00:00:00.000Z' },
};
const purposes = spec(purposeDecider);

describe('purpose decider', () => {
  it('registers a new purpose as a draft', () => {
    purposes
      .given([])
      .when({ type: 'RegisterPurpose', definition: purposeDefinition() }, { now })
      .then([{ type: 'PurposeRegistered', data: { ...purposeDefinition(), registeredAt: at } }]);
  });

  it('refuses to register a purpose twice', () => {
    purposes
      .given([registered])
      .when({ type: 'RegisterPurpose', definition: purposeDefinition() }, { now })
      .thenRefuses('conflict', 'purposeId');
  });

  it('publishes a notice version', () => {
    purposes
      .given([registered])
      .when({ type: 'PublishNotice', purposeId: 'newsletter', notice }, { now })
      .then([
        { type: 'NoticePublished', data: { purposeId: 'newsletter', ...notice, publishedAt: at } },
      ]);
  });

  it('refuses the same notice version and language twice', () => {
    purposes
      .given([registered, published])
      .when({ type: 'PublishNotice', purposeId: 'newsletter', notice }, { now })
      .thenRefuses('conflict', 'version');
  });

  it('refuses to activate a consent-based purpose without a notice', () => {
    purposes
      .given([registered])
      .when({ type: 'ActivatePurpose', purposeId: 'newsletter' }, { now })
      .thenRefuses('invalid', 'purposeId', /notice/);
  });

  it('activates a purpose with a notice, once', () => {
    purposes
      .given([registered, published])
      .when({ type: 'ActivatePurpose', purposeId: 'newsletter' }, { now })
      .then([{ type: 'PurposeActivated', data: { purposeId: 'newsletter', activatedAt: at } }]);
    purposes
      .given([registered, published, activated])
      .when({ type: 'ActivatePurpose', purposeId: 'newsletter' }, { now })
      .then([]);
  });

  it('retires a purpose, which then cannot be activated again', () => {
    const retired: PurposeEvent = {
      type: 'PurposeRetired',
      data: { purposeId: 'newsletter', retiredAt: at },
    };
    purposes
      .given([registered, published, activated])
      .when({ type: 'RetirePurpose', purposeId: 'newsletter' }, { now })
      .then([retired]);
    purposes
      .given([registered, published, activated, retired])
      .when({ type: 'ActivatePurpose', purposeId: 'newsletter' }, { now })
      .thenRefuses('conflict', 'purposeId');
  });

  it('refuses commands for an unregistered purpose', () => {
    purposes
      .given([])
      .when({ type: 'ActivatePurpose', purposeId: 'nope' }, { now })
      .thenRefuses('not_found', 'purposeId');
  });

  it('replays a purpose to any moment', () => {
    const history = [registered, published, activated];
    expect(purposeAt(history, new Date('2025-12-31T00:00:00Z'))).toBeNull();
    expect(purposeAt(history, new Date('2026-01-02T12:00:00Z'))).toMatchObject({
      status: 'draft',
      notices: [{ version: 'v1' }],
    });
    expect(purposeAt(history, new Date('2026-02-01T00:00:00Z'))?.status).toBe('active');
  });
});
