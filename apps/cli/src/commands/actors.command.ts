import { isRole, ROLES } from '@custodian/policy';
import { parseActorsFile, sha256Hex } from '@custodian/platform';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fchmodSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { CliError, UsageError } from '../cli-errors';
import { cliConfig } from '../cli-stores';

const ACTOR_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

type FileActor = Record<string, unknown> & { id: string };

/**
 * The actors file as JSON, edited by `change` and written back atomically (a private temporary
 * file renamed over it), after checking the result reads as the app reads it. The running app
 * follows the file (it polls it), so no restart is needed.
 */
function editActorsFile(change: (actors: FileActor[]) => void): string {
  const file = cliConfig().actorsFile;
  if (!existsSync(file))
    throw new CliError(`no actors file at ${file} (CUSTODIAN_ACTORS_FILE, or start the app once)`);
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { actors: FileActor[] };
  parseActorsFile(JSON.stringify(parsed), file); // refuses a file the app would refuse
  change(parsed.actors);
  const text = `${JSON.stringify(parsed, null, 2)}\n`;
  parseActorsFile(text, file);
  const temp = join(dirname(file), `.${randomUUID()}.actors.tmp`);
  const fd = openSync(temp, 'wx', 0o600);
  try {
    fchmodSync(fd, 0o600);
    writeFileSync(fd, text);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  closeSync(fd);
  renameSync(temp, file);
  return file;
}

function find(actors: FileActor[], id: string): FileActor {
  const actor = actors.find((a) => a.id === id);
  if (!actor) throw new CliError(`no actor "${id}" in the actors file`);
  return actor;
}

function newApiKey(): string {
  return randomBytes(32).toString('base64url');
}

function printKey(id: string, apiKey: string, json: boolean | undefined): void {
  if (json) console.log(JSON.stringify({ id, apiKey }));
  else console.log(`API key of ${id} (shown this once; only its SHA-256 is stored):\n${apiKey}`);
}

@SubCommand({
  name: 'add',
  arguments: '<id>',
  description: 'add an actor; a key actor gets a new API key, printed once',
})
export class AddActorCommand extends CommandRunner {
  async run(
    [id]: string[],
    options: { role?: string[]; person?: boolean; json?: boolean },
  ): Promise<void> {
    if (!ACTOR_ID.test(id))
      throw new UsageError('<id> must be 1-64 letters, digits, ".", "_" or "-"');
    const roles = options.role ?? [];
    if (roles.length === 0) throw new UsageError('give at least one --role');
    const unknown = roles.filter((r) => !isRole(r));
    if (unknown.length > 0)
      throw new UsageError(`unknown role "${unknown[0]}"; roles: ${ROLES.join(', ')}`);
    const apiKey = options.person ? null : newApiKey();
    const file = editActorsFile((actors) => {
      if (actors.some((a) => a.id === id)) throw new CliError(`actor "${id}" exists already`);
      actors.push(
        apiKey
          ? { id, roles: [...new Set(roles)], apiKeySha256: sha256Hex(apiKey) }
          : { id, roles: [...new Set(roles)], kind: 'person' },
      );
    });
    if (apiKey) printKey(id, apiKey, options.json);
    else if (options.json) console.log(JSON.stringify({ id, kind: 'person' }));
    else console.log(`added person ${id} to ${file}: they sign in with a JWT whose sub is ${id}`);
  }

  @Option({
    flags: '--role <role>',
    description: `a role (repeat for several): ${ROLES.join(', ')}`,
  })
  parseRole(value: string, previous: string[] = []): string[] {
    return [...previous, value];
  }

  @Option({ flags: '--person', description: 'a person signing in with JWTs (no API key)' })
  parsePerson(): boolean {
    return true;
  }

  @Option({ flags: '--json', description: 'print {"id","apiKey"} as JSON' })
  parseJson(): boolean {
    return true;
  }
}

@SubCommand({
  name: 'disable',
  arguments: '<id>',
  description:
    'disable an actor: its key and tokens are refused (kept in the file, marked disabled)',
})
export class DisableActorCommand extends CommandRunner {
  async run([id]: string[]): Promise<void> {
    const file = editActorsFile((actors) => {
      find(actors, id).disabled = true;
    });
    console.log(`disabled ${id} in ${file}; the running app refuses it within a second`);
  }
}

@SubCommand({
  name: 'rotate-key',
  arguments: '<id>',
  description:
    "replace a key actor's API key (the old one is refused at once); the new key is printed once",
})
export class RotateActorKeyCommand extends CommandRunner {
  async run([id]: string[], options: { json?: boolean }): Promise<void> {
    const apiKey = newApiKey();
    editActorsFile((actors) => {
      const actor = find(actors, id);
      if (actor.kind === 'person')
        throw new CliError(`${id} is a person (signs in with JWTs) and has no API key`);
      delete actor.apiKey;
      actor.apiKeySha256 = sha256Hex(apiKey);
    });
    printKey(id, apiKey, options.json);
  }

  @Option({ flags: '--json', description: 'print {"id","apiKey"} as JSON' })
  parseJson(): boolean {
    return true;
  }
}

@Command({
  name: 'actors',
  description: 'edit the actors file; the running app follows it without a restart',
  subCommands: [AddActorCommand, DisableActorCommand, RotateActorKeyCommand],
})
export class ActorsCommand extends CommandRunner {
  async run(): Promise<void> {
    throw new UsageError('name an actors command: add, disable or rotate-key');
  }
}
