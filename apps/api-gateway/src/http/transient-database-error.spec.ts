import {
  QueryFailedError,
  QueryRunnerAlreadyReleasedError,
  QueryRunnerProviderAlreadyReleasedError,
} from 'typeorm';
import { isTransientDatabaseError } from './transient-database-error';

function pgError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('isTransientDatabaseError', () => {
  it.each([
    ['57P01', 'terminating connection due to administrator command'],
    ['57P03', 'the database system is starting up'],
    ['25006', 'cannot execute INSERT in a read-only transaction'],
    ['08006', 'connection failure'],
    ['53300', 'sorry, too many clients already'],
    ['40P01', 'deadlock detected'],
  ])('is true for SQLSTATE %s wrapped in a QueryFailedError', (code, message) => {
    const err = new QueryFailedError('SELECT 1', [], pgError(code, message));
    expect(isTransientDatabaseError(err)).toBe(true);
  });

  it.each([
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    new Error('Connection terminated unexpectedly'),
    new Error('timeout exceeded when trying to connect'),
    new Error('Client has encountered a connection error and is not queryable'),
    new QueryRunnerProviderAlreadyReleasedError(),
    new QueryRunnerAlreadyReleasedError(),
  ])('is true for a lost or refused connection: %s', (err) => {
    expect(isTransientDatabaseError(err)).toBe(true);
  });

  it.each([
    new QueryFailedError('INSERT', [], pgError('23505', 'duplicate key value')),
    new QueryFailedError('SELECT', [], pgError('22P02', 'invalid input syntax for type uuid')),
    new TypeError("Cannot read properties of undefined (reading 'x')"),
    'a string',
    undefined,
  ])('is false for errors a retry does not fix: %s', (err) => {
    expect(isTransientDatabaseError(err)).toBe(false);
  });
});
