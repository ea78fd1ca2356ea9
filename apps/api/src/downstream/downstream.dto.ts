import { IsUUID } from 'class-validator';

/** `POST /v1/connectors/{connectorId}/acknowledgements`. */
export class AcknowledgeDto {
  /** The `SubjectErased` or `ConsentRevoked` event (its webhook or feed item names it). */
  @IsUUID('all', { message: 'eventId must be the UUID of an erasure or a withdrawal event' })
  eventId!: string;
}
