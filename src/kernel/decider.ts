/**
 * A decider is the whole domain logic of one kind of stream, as pure functions (DESIGN §3 rule 1):
 * `decide` turns a command and the current state into new events (or throws a KojiError to
 * refuse), `evolve` folds one event into the state. Everything a decision needs — time, new ids,
 * the actor, config, policy verdicts — arrives inside the command, so replay is exact.
 */
export interface DomainEvent<T extends string = string, D = unknown> {
  type: T;
  data: D;
  /** Schema version of `data`; 1 unless an upcaster chain exists for the type. */
  schemaVersion?: number;
}

export interface Decider<Command, State, Event extends DomainEvent> {
  readonly initialState: State;
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
}

export function fold<S, E extends DomainEvent>(
  d: Pick<Decider<unknown, S, E>, 'initialState' | 'evolve'>,
  events: E[],
): S {
  return events.reduce((s, e) => d.evolve(s, e), d.initialState);
}
