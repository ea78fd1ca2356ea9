/** An event as the domain sees it: a stable type name and its data. */
export interface DomainEvent<Type extends string = string, Data = unknown> {
  type: Type;
  data: Data;
}

/**
 * The whole of an aggregate's behaviour: fold past events into state, and decide which new
 * events a command produces. Pure: time and ids arrive inside the command or its context.
 */
export interface Decider<Command, State, Event extends DomainEvent, Context = void> {
  initialState(): State;
  evolve(state: State, event: Event): State;
  /** The events the command produces; throws DomainError when it is refused. */
  decide(command: Command, state: State, context: Context): Event[];
}

export function fold<State, Event extends DomainEvent>(
  decider: Pick<Decider<unknown, State, Event, unknown>, 'initialState' | 'evolve'>,
  events: Iterable<Event>,
): State {
  let state = decider.initialState();
  for (const event of events) state = decider.evolve(state, event);
  return state;
}
