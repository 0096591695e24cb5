/** Injection token of the clock use cases read timestamps from. */
export const CLOCK = Symbol('CLOCK');

/** The current time; injected so tests control timestamps. */
export type Clock = () => Date;
