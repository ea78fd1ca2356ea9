import type { Role } from '@custodian/policy';
import { type Actor, sha256Hex } from './actors-file';

/** The caller of a request: who, and in which of their roles. */
export interface RequestActor {
  id: string;
  role: Role;
}

/** Finds actors by API key (compared as SHA-256, so keys are never held in memory). */
export class ActorRegistry {
  private readonly byKeyHash: Map<string, Actor>;

  constructor(actors: readonly Actor[]) {
    this.byKeyHash = new Map(actors.map((actor) => [actor.apiKeySha256, actor]));
  }

  byApiKey(apiKey: string): Actor | undefined {
    return this.byKeyHash.get(sha256Hex(apiKey));
  }
}
