import { BaseConfig } from '../config/base-config';
import { loadConfig } from '../config/load-config';
import { fatalMessage } from './fatal-message';
import { logFormat } from './log-format';

describe('logFormat', () => {
  it('is pretty on a terminal and JSON on a pipe when LOG_FORMAT is unset or auto', () => {
    expect(logFormat({}, true)).toBe('pretty');
    expect(logFormat({}, false)).toBe('json');
    expect(logFormat({ LOG_FORMAT: 'auto' }, true)).toBe('pretty');
    expect(logFormat({ LOG_FORMAT: '' }, false)).toBe('json');
  });

  it('obeys LOG_FORMAT=json on a terminal and LOG_FORMAT=pretty on a pipe', () => {
    expect(logFormat({ LOG_FORMAT: 'json' }, true)).toBe('json');
    expect(logFormat({ LOG_FORMAT: 'PRETTY' }, false)).toBe('pretty');
  });

  it('falls back to JSON for an unknown value (machines can always read it)', () => {
    expect(logFormat({ LOG_FORMAT: 'xml' }, true)).toBe('json');
  });
});

describe('fatalMessage of a configuration error', () => {
  const bad = (): unknown => {
    try {
      loadConfig(BaseConfig, {
        NATS_URL: 'http://nats:4222',
        DATABASE_POOL_SIZE: '0',
        LOG_FORMAT: 'xml',
      });
    } catch (err) {
      return err;
    }
    throw new Error('the configuration was accepted');
  };

  it('prints one readable line per bad variable when pretty', () => {
    const text = fatalMessage('allocator', 'invalid configuration', bad(), 'pretty');
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('allocator: invalid configuration');
    expect(lines).toContain(
      '  - NATS_URL must be one or more comma-separated nats:// or tls:// URLs',
    );
    expect(lines).toContain('  - DATABASE_POOL_SIZE must be at least 1');
    expect(lines).toContain('  - LOG_FORMAT must be one of auto, json, pretty');
    expect(lines).toHaveLength(5);
    expect(text).not.toContain('{');
  });

  it('prints one JSON line with the problems as an array otherwise', () => {
    const text = fatalMessage('allocator', 'invalid configuration', bad(), 'json');
    expect(text.endsWith('\n')).toBe(true);
    expect(text.trimEnd().split('\n')).toHaveLength(1);
    const line = JSON.parse(text) as { level: string; service: string; problems: string[] };
    expect(line).toMatchObject({ level: 'fatal', service: 'allocator' });
    expect(line.problems.map((p) => p.split(' ')[0]).sort()).toEqual([
      'DATABASE_POOL_SIZE',
      'LOG_FORMAT',
      'NATS_URL',
    ]);
  });

  it('prints any other start-up failure with its message', () => {
    const err = new Error('connect ECONNREFUSED 127.0.0.1:5432');
    expect(fatalMessage('api-gateway', 'failed to start', err, 'pretty')).toBe(
      'api-gateway: failed to start: connect ECONNREFUSED 127.0.0.1:5432\n',
    );
    expect(JSON.parse(fatalMessage('api-gateway', 'failed to start', err, 'json'))).toEqual({
      level: 'fatal',
      service: 'api-gateway',
      msg: 'api-gateway: failed to start: connect ECONNREFUSED 127.0.0.1:5432',
    });
  });
});
