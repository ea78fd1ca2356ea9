import { SqliteEventStore, type JsonObject } from '@custodian/event-store';
import { ANOMALY_RULES_STREAM, DEFAULT_ANOMALY_RULES } from '@custodian/policy';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { anomalyRulesDecider, lastRulesPublished } from './anomaly-rules.decider';

const { version: _version, ...ruleSet } = DEFAULT_ANOMALY_RULES;
const now = new Date('2026-05-01T00:00:00.000Z');

describe('anomaly rules decider', () => {
  it('given the default rules in force, when a set is published, then it is version 1', () => {
    const [event] = anomalyRulesDecider.decide(
      { type: 'PublishAnomalyRules', ruleSet },
      anomalyRulesDecider.initialState(),
      { now },
    );
    expect(event.data).toEqual({ version: 1, ...ruleSet, publishedAt: now.toISOString() });
  });

  describe('loaded from the last publication only', () => {
    let dir: string;
    let store: SqliteEventStore;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'custodian-rules-'));
      store = new SqliteEventStore({ file: join(dir, 'events.sqlite') });
    });
    afterEach(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('given no publication, then the default rules are in force at no revision', async () => {
      expect(await lastRulesPublished(store, ANOMALY_RULES_STREAM)).toEqual({
        state: { ...DEFAULT_ANOMALY_RULES, publishedAt: null },
        revision: null,
      });
    });

    it('given two publications, then the second is in force, at its revision', async () => {
      for (const version of [1, 2])
        await store.append(ANOMALY_RULES_STREAM, [
          {
            type: 'AnomalyRulesPublished',
            data: JSON.parse(
              JSON.stringify({
                version,
                ...ruleSet,
                publishedAt: `2026-04-0${version}T00:00:00.000Z`,
              }),
            ) as JsonObject,
          },
        ]);
      const loaded = await lastRulesPublished(store, ANOMALY_RULES_STREAM);
      expect(loaded.revision).toBe(1n);
      expect(loaded.state).toMatchObject({ version: 2, publishedAt: '2026-04-02T00:00:00.000Z' });
    });
  });
});
