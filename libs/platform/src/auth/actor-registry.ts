import type { Role } from '@custodian/policy';
import { type Actor, sha256Hex } from './actors-file';

/** The caller of a request: who, and in which of their roles. */
export interface RequestActor {
  id: string;
  role: Role;
  /**
   * Set when the caller is a connector's own key: the actor id is then `connector:<id>` and the
   * role `service`, but the guard lets it use CONNECTOR_KEY_PERMISSIONS only.
   */
  connectorId?: string;
}

/**
 * The actors file, looked up: key actors by API key (compared as SHA-256, so keys are never
 * held in memory), people by id (the `sub` of their JWTs). The two never meet: a key finds no
 * person, and a token's subject finds no key actor.
 */
export class ActorRegistry {
  private readonly byKeyHash = new Map<string, Actor & { kind: 'key' }>();
  private readonly people = new Map<string, Actor & { kind: 'person' }>();
  private readonly all: readonly Actor[];

  constructor(actors: readonly Actor[]) {
    this.all = actors;
    for (const actor of actors) {
      if (actor.kind === 'key') this.byKeyHash.set(actor.apiKeySha256, actor);
      else this.people.set(actor.id, actor);
    }
  }

  byApiKey(apiKey: string): Actor | undefined {
    return this.byKeyHash.get(sha256Hex(apiKey));
  }

  /** The person a JWT's subject names; undefined for unknown ids and for key actors. */
  person(id: string): Actor | undefined {
    return this.people.get(id);
  }

  /** The ids of every actor (key or person) the file grants this role. */
  holdersOf(role: Role): string[] {
    return this.all.filter((actor) => actor.roles.includes(role)).map((actor) => actor.id);
  }
}
