import { ActorsFileError, parseActorsFile } from './actors-file';
import { ActorRegistry } from './actor-registry';

const KEY = 'a-service-key-of-at-least-24-chars';
const parse = (actors: unknown[]) => parseActorsFile(JSON.stringify({ actors }), 'actors.json');

describe('actors file: key actors and people', () => {
  it('keeps people (JWT only) and key actors apart in the registry', () => {
    const registry = new ActorRegistry(
      parse([
        { id: 'svc', roles: ['service'], apiKey: KEY },
        { id: 'u-1', roles: ['dpo', 'analyst'], kind: 'person' },
        { id: 'dpo-key', roles: ['dpo'], apiKey: `${KEY}-2`, kind: 'key' },
      ]),
    );
    expect(registry.byApiKey(KEY)?.id).toBe('svc');
    expect(registry.person('svc')).toBeUndefined();
    expect(registry.person('dpo-key')).toBeUndefined();
    expect(registry.person('u-1')).toMatchObject({ kind: 'person', roles: ['dpo', 'analyst'] });
    expect(registry.holdersOf('dpo')).toEqual(['u-1', 'dpo-key']);
  });

  it.each([
    [
      'a person with an API key',
      { id: 'u-1', roles: ['dpo'], kind: 'person', apiKey: KEY },
      /is a person \(signs in with a JWT\) and may not have an API key/,
    ],
    [
      'an unknown kind',
      { id: 'u-1', roles: ['dpo'], kind: 'robot', apiKey: KEY },
      /kind must be "key" \(the default\) or "person"/,
    ],
    ['a key actor without a key', { id: 'svc', roles: ['service'] }, /needs "apiKey"/],
  ])('refuses %s', (_, entry, message) => {
    expect(() => parse([entry])).toThrow(ActorsFileError);
    expect(() => parse([entry])).toThrow(message);
  });

  it('leaves disabled actors out of the registry, and takes a new reading in place', () => {
    const registry = new ActorRegistry(
      parse([
        { id: 'svc', roles: ['service'], apiKey: KEY, disabled: true },
        { id: 'u-1', roles: ['dpo'], kind: 'person', disabled: true },
        { id: 'dpo-key', roles: ['dpo'], apiKey: `${KEY}-2`, disabled: false },
      ]),
    );
    expect(registry.byApiKey(KEY)).toBeUndefined();
    expect(registry.person('u-1')).toBeUndefined();
    expect(registry.holdersOf('dpo')).toEqual(['dpo-key']);
    registry.replace(parse([{ id: 'svc', roles: ['service'], apiKey: KEY }]));
    expect(registry.byApiKey(KEY)?.id).toBe('svc');
    expect(registry.byApiKey(`${KEY}-2`)).toBeUndefined();
    expect(() => parse([{ id: 'svc', roles: ['service'], apiKey: KEY, disabled: 'yes' }])).toThrow(
      /actors\[0\]\.disabled must be true or false/,
    );
  });
});
