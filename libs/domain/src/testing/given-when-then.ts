import { fold, type Decider, type DomainEvent } from '../shared/decider';
import { DomainError, type DomainErrorKind } from '../shared/domain-error';

/**
 * Decider specifications that read as such:
 *   spec(decider).given(events).when(command, context).then(events)
 *   spec(decider).given(events).when(command, context).thenRefuses('invalid', 'field')
 */
export function spec<C, S, E extends DomainEvent, Ctx>(decider: Decider<C, S, E, Ctx>) {
  return {
    given: (history: E[]) => ({
      when: (command: C, context: Ctx) => {
        const run = () => decider.decide(command, fold(decider, history), context);
        return {
          then(expected: E[]) {
            expect(run()).toEqual(expected);
          },
          thenRefuses(kind: DomainErrorKind, field: string | null, message?: RegExp) {
            let error: unknown;
            try {
              run();
            } catch (e) {
              error = e;
            }
            expect(error).toBeInstanceOf(DomainError);
            expect((error as DomainError).kind).toBe(kind);
            expect((error as DomainError).field).toBe(field);
            if (message) expect((error as DomainError).message).toMatch(message);
          },
        };
      },
    }),
  };
}
