import { EVENT_STORE, type EventStore } from '@custodian/event-store';
import { READ_STORE, type ReadStore } from '@custodian/read-store';
import { request, startTestApp, waitFor, type TestApp } from '@test/support';

interface ProcessorReport {
  name: string;
  checkpoint: string;
  state?: string;
  position?: string | null;
  retries?: number;
  deadLetters: number;
  eventsBehind: number;
  secondsBehind: number;
}

const processorsIn = async (t: TestApp): Promise<ProcessorReport[]> =>
  (await request(`${t.baseUrl}/health/ready`)).body.details.projections.processors;

describe('GET /health/ready reports processors next to projections', () => {
  it('where the projections run: the anomaly detector, its position, retries, dead letters and lag', async () => {
    const t = await startTestApp();
    try {
      const events = t.app.get<EventStore>(EVENT_STORE);
      const { position } = await events.append('test-probe', [{ type: 'Probed', data: {} }]);
      // Its checkpoint is stored once the log pauses; bounded, generous for a loaded machine.
      await waitFor(async () => {
        const detector = (await processorsIn(t)).find((p) => p.name === 'anomaly-detector');
        return detector?.position === position && detector.eventsBehind === 0;
      }, 20_000).catch(() => {
        throw new Error('the anomaly detector did not store a checkpoint at the probe in 20 s');
      });
      const { status, body } = await request(`${t.baseUrl}/health/ready`);
      expect(status).toBe(200);
      expect(body.details.projections.processors).toHaveLength(4);
      expect(body.details.projections.processors).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            name: 'integrity-checkpointer',
            checkpoint: 'reactor:integrity-checkpointer',
            deadLetters: 0,
          }),
          {
            name: 'anomaly-detector',
            version: 1,
            checkpoint: 'reactor:anomaly-detector',
            state: 'live',
            position,
            sequence: expect.any(Number),
            retries: 0,
            deadLetters: 0,
            eventsBehind: 0,
            secondsBehind: 0,
          },
          expect.objectContaining({
            name: 'erasure-reconciler',
            checkpoint: 'reactor:erasure-reconciler',
            deadLetters: 0,
          }),
          expect.objectContaining({
            name: 'webhook-outbox',
            checkpoint: 'reactor:webhook-outbox',
            deadLetters: 0,
          }),
        ]),
      );
    } finally {
      await t.close();
    }
  });

  it('where another process runs them: lag and dead letters from what is stored', async () => {
    const t = await startTestApp({ CUSTODIAN_PROJECTOR: 'off' });
    try {
      // A live projector elsewhere (its heartbeat lease), as apps/projector keeps it.
      await t.app
        .get<ReadStore>(READ_STORE)
        .acquireLease({ name: 'projector', holder: 'projector-elsewhere/1/test', ttlMs: 60_000 });
      await t.app
        .get<EventStore>(EVENT_STORE)
        .append('test-remote', [{ type: 'Probed', data: {} }]);
      const { status, body } = await request(`${t.baseUrl}/health/ready`);
      expect(status).toBe(200);
      expect(body.details.projections.runsHere).toBe(false);
      const behind = (name: string) => ({
        name,
        checkpoint: `reactor:${name}`,
        eventsBehind: 1,
        secondsBehind: expect.any(Number),
        deadLetters: 0,
      });
      expect(body.details.projections.processors).toHaveLength(4);
      expect(body.details.projections.processors).toEqual(
        expect.arrayContaining([
          behind('anomaly-detector'),
          behind('erasure-reconciler'),
          behind('integrity-checkpointer'),
          behind('webhook-outbox'),
        ]),
      );
    } finally {
      await t.close();
    }
  });
});
