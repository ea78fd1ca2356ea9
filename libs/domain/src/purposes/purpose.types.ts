export const LEGAL_BASES = [
  'consent',
  'contract',
  'legal_obligation',
  'vital_interest',
  'public_task',
  'legitimate_interest',
] as const;
export type LegalBasis = (typeof LEGAL_BASES)[number];

export const DATA_CATEGORIES = [
  'contact',
  'identity',
  'financial',
  'special',
  'behavioural',
  'location',
  'technical',
] as const;
export type DataCategory = (typeof DATA_CATEGORIES)[number];

export interface PurposeFlags {
  marketing: boolean;
  profiling: boolean;
  saleOrShare: boolean;
  aiProcessing: boolean;
  /**
   * The purpose uses customers' data to train or fine-tune AI models (issue 17), as opposed to
   * analysing it with a model; needs `aiProcessing`. Absent (purposes registered before): false.
   */
  aiTraining?: boolean;
}

/** The privacy-by-design check answered at registration. */
export interface PurposeAssessment {
  /** Why the data is needed for this purpose. */
  necessity: string;
  /** The minimum fields the purpose uses. */
  minimumFields: string[];
  /** Why the retention period is as long as it is. */
  retentionJustification: string;
  /** Who inside the company sees the data. */
  access: string;
  /** Which third parties receive it, and why ("none" when none do). */
  thirdParties: string;
  /** How a customer withdraws. */
  withdrawal: string;
  /** The main risk to the customer, and how it is reduced. */
  mainRisk: string;
}

/**
 * Fields the law makes the controller keep for a period after the purpose's basis ends (e.g.
 * accounting records, 5 years): an erasure keeps them under a key of their own until then.
 */
export interface LegalHold {
  /** ISO-8601 duration, counted from the end of the basis (at the latest, the erasure). */
  holdAfterBasisEnds: string;
  /** Among the purpose's minimum fields. */
  fields: string[];
}

export interface PurposeDefinition {
  purposeId: string;
  title: string;
  description: string;
  legalBasis: LegalBasis;
  dataCategories: DataCategory[];
  /** ISO-8601 duration. */
  retention: string;
  recipients: string[];
  allowedRoles: string[];
  flags: PurposeFlags;
  assessment: PurposeAssessment;
  /** Absent: nothing is kept past an erasure. */
  legalHold?: LegalHold;
}

export interface Notice {
  version: string;
  language: string;
  url: string;
  textSha256: string;
  requiresReconsent: boolean;
  publishedAt: string;
}

export type PurposeStatus = 'draft' | 'active' | 'retired';

export interface PurposeState extends PurposeDefinition {
  status: PurposeStatus;
  /** In publication order. */
  notices: Notice[];
  registeredAt: string;
  activatedAt: string | null;
  retiredAt: string | null;
}

/**
 * Purposes a Global Privacy Control signal opts a customer out of: sale or sharing of data,
 * and targeted advertising (marketing that relies on profiling).
 */
export function coveredByGpc(flags: PurposeFlags): boolean {
  return flags.saleOrShare || (flags.marketing && flags.profiling);
}
