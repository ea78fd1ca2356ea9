import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { unwatchFile, watchFile, type Stats } from 'node:fs';
import { CUSTODIAN_CONFIG } from '../config/config.module';
import type { CustodianConfig } from '../config/custodian-config';
import { looseSecretFile } from '../storage/private-files';
import { ActorRegistry } from './actor-registry';
import { ActorsFileError, loadActors } from './actors-file';

/** How often the actors file's metadata is looked at (`fs.watchFile` polls by stat). */
export const ACTORS_FILE_POLL_MS = 500;

/**
 * Follows edits of the actors file (`custodian actors add|disable|rotate-key`, or by hand)
 * without a restart: polled by stat, so an atomic replacement (a rename over it) is seen too.
 * A reading the app would refuse at start-up (bad JSON, an unknown role, a mode group or others
 * may read) is logged and ignored: the actors as last read stay in force.
 */
@Injectable()
export class ActorsFileWatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Auth');
  private watching = false;

  constructor(
    private readonly registry: ActorRegistry,
    @Inject(CUSTODIAN_CONFIG) private readonly config: CustodianConfig,
  ) {}

  onApplicationBootstrap(): void {
    watchFile(
      this.config.actorsFile,
      { interval: ACTORS_FILE_POLL_MS, persistent: false },
      this.changed,
    );
    this.watching = true;
  }

  onApplicationShutdown(): void {
    if (this.watching) unwatchFile(this.config.actorsFile, this.changed);
    this.watching = false;
  }

  private readonly changed = (current: Stats, previous: Stats): void => {
    if (
      current.mtimeMs === previous.mtimeMs &&
      current.ino === previous.ino &&
      current.size === previous.size
    )
      return;
    this.reload();
  };

  /** Reads the file again; true when the new actors are in force. */
  reload(): boolean {
    const file = this.config.actorsFile;
    const loose = looseSecretFile(file, 'the actors file');
    try {
      if (loose) throw new ActorsFileError(loose);
      const actors = loadActors(file);
      this.registry.replace(actors);
      this.logger.log(
        `actors file reloaded: ${actors.filter((a) => !a.disabled).length} active actors`,
      );
      return true;
    } catch (error) {
      this.logger.error(
        `actors file not reloaded, the previous actors stay in force: ${(error as Error).message}`,
      );
      return false;
    }
  }
}
