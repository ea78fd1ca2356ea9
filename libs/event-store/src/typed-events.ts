/**
 * The store edge, typed: events leave the store as `Recorded<E>`, their data upcast to the
 * schema version this build writes. Adapters stay untyped (`RecordedEvent`); decoding happens
 * here, once per event read.
 */
import {
  domainEventCodecs,
  type DomainEvent,
  type DomainEventOfCatalogue,
  type EventCodec,
  type JsonObject,
} from '@custodian/domain';
import { policyEventCodecs, type PolicyEvent } from '@custodian/policy';
import type { EventStore, ReadStreamOptions, RecordedEvent } from './event-store.port';

/** Every event Custodian stores. */
export type CustodianEvent = DomainEventOfCatalogue | PolicyEvent;
export type CustodianEventType = CustodianEvent['type'];

/** One codec per event type: its name, the schema version writers stamp, its upcasters. */
export const eventCodecs: { readonly [T in CustodianEventType]: EventCodec<T> } = {
  ...domainEventCodecs,
  ...policyEventCodecs,
};

const codecs = new Map<string, EventCodec>(Object.entries(eventCodecs));

/** A stored event with its type and data typed (distributes over a union, so `type` narrows). */
export type Recorded<E extends DomainEvent = CustodianEvent> = E extends DomainEvent
  ? Omit<RecordedEvent, 'type' | 'data'> & E
  : never;

export class UnknownEventTypeError extends Error {
  constructor(readonly eventType: string) {
    super(`no codec for event type "${eventType}": this build does not know it`);
    this.name = 'UnknownEventTypeError';
  }
}

export class UnsupportedSchemaVersionError extends Error {
  constructor(
    readonly eventType: string,
    readonly version: unknown,
    readonly known: number,
  ) {
    super(
      `event type "${eventType}" is stored in schema version ${String(version)}; this build knows versions 1 to ${known}`,
    );
    this.name = 'UnsupportedSchemaVersionError';
  }
}

/** The codec of a type; throws UnknownEventTypeError for a type the catalogue lacks. */
export function codecOf(type: string): EventCodec {
  const codec = codecs.get(type);
  if (!codec) throw new UnknownEventTypeError(type);
  return codec;
}

/** The version writers stamp in `metadata.schemaVersion` for this type. */
export function schemaVersionOf(type: string): number {
  return codecOf(type).schemaVersion;
}

/**
 * A stored event as the current schema: looks up its codec, reads `metadata.schemaVersion`
 * (absent: 1) and applies the upcasters from there. An event already current is returned as
 * it is (no allocation); an unknown type or a version newer than this build throws.
 */
export function decodeEvent(recorded: RecordedEvent): Recorded {
  const codec = codecOf(recorded.type);
  const stored = recorded.metadata.schemaVersion ?? 1;
  if (stored === codec.schemaVersion) return recorded as unknown as Recorded;
  if (
    typeof stored !== 'number' ||
    !Number.isInteger(stored) ||
    stored < 1 ||
    stored > codec.schemaVersion
  )
    throw new UnsupportedSchemaVersionError(recorded.type, stored, codec.schemaVersion);
  let data: JsonObject = recorded.data;
  for (let version = stored; version < codec.schemaVersion; version++)
    data = codec.upcasters[version - 1](data);
  return { ...recorded, data } as unknown as Recorded;
}

/** Decodes a batch; the array is reused when no event needed upcasting. */
export function decodeEvents(recorded: readonly RecordedEvent[]): Recorded[] {
  let out: Recorded[] | null = null;
  for (let i = 0; i < recorded.length; i++) {
    const decoded = decodeEvent(recorded[i]);
    if (out) out.push(decoded);
    else if (decoded !== (recorded[i] as unknown)) {
      out = recorded.slice(0, i) as unknown as Recorded[];
      out.push(decoded);
    }
  }
  return out ?? (recorded as unknown as Recorded[]);
}

/**
 * One stream, decoded. `E` is what the stream holds by convention (a `consent-` stream holds
 * ConsentEvent); the catalogue checks each type is known and upcasts its data.
 */
export async function readTypedStream<E extends CustodianEvent = CustodianEvent>(
  store: Pick<EventStore, 'readStream'>,
  stream: string,
  options?: ReadStreamOptions,
): Promise<Recorded<E>[]> {
  return decodeEvents(await store.readStream(stream, options)) as Recorded<E>[];
}

/**
 * The `metadata.schemaVersion` a writer stamps: the codec's current version. A type outside
 * the catalogue (a test's own decider) is written as version 1 and cannot be read typed.
 */
export function schemaVersionToWrite(type: string): number {
  return codecs.get(type)?.schemaVersion ?? 1;
}

/**
 * The log as the projection and processor runners read it: each batch is upcast once for all
 * of them (the array itself when nothing needed it). A type outside the catalogue passes as
 * stored (projections and processors name the types they handle); a version newer than this
 * build still throws.
 */
export function upcastLog(batch: RecordedEvent[]): RecordedEvent[] {
  let out: RecordedEvent[] | null = null;
  for (let i = 0; i < batch.length; i++) {
    const event = batch[i];
    const decoded = codecs.has(event.type) ? decodeEvent(event) : event;
    if (out) out.push(decoded as RecordedEvent);
    else if (decoded !== (event as unknown)) {
      out = batch.slice(0, i);
      out.push(decoded as unknown as RecordedEvent);
    }
  }
  return out ?? batch;
}
