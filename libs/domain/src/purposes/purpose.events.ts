import type { DomainEvent } from '../shared/decider';
import type { PurposeDefinition } from './purpose.types';

export type PurposeRegistered = DomainEvent<
  'PurposeRegistered',
  PurposeDefinition & { registeredAt: string }
>;
export type NoticePublished = DomainEvent<
  'NoticePublished',
  {
    purposeId: string;
    version: string;
    language: string;
    url: string;
    textSha256: string;
    requiresReconsent: boolean;
    publishedAt: string;
  }
>;
export type PurposeActivated = DomainEvent<
  'PurposeActivated',
  { purposeId: string; activatedAt: string }
>;
export type PurposeRetired = DomainEvent<
  'PurposeRetired',
  { purposeId: string; retiredAt: string }
>;

export type PurposeEvent = PurposeRegistered | NoticePublished | PurposeActivated | PurposeRetired;

export const PURPOSE_EVENT_TYPES: readonly PurposeEvent['type'][] = [
  'PurposeRegistered',
  'NoticePublished',
  'PurposeActivated',
  'PurposeRetired',
];

export const purposeStream = (purposeId: string) => `purpose-${purposeId}`;
