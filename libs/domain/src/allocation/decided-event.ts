/**
 * An event a decider produced, before the store gives it an id and metadata. Structurally a
 * `NewEvent` of @natgw/contracts, so it can be appended as it is.
 */
export interface DecidedEvent<Type extends string, Data> {
  readonly type: Type;
  readonly data: Data;
}
