// eslint-disable-next-line @typescript-eslint/no-require-imports
const { serviceLogEnv } = require('./start') as {
  serviceLogEnv: (env: NodeJS.ProcessEnv, isTTY: boolean) => NodeJS.ProcessEnv;
};

describe('npm start: the services log format', () => {
  it('asks for pino-pretty with colours when started on a terminal', () => {
    expect(serviceLogEnv({ PATH: '/bin' }, true)).toEqual({
      PATH: '/bin',
      LOG_FORMAT: 'pretty',
      FORCE_COLOR: '1',
    });
    expect(serviceLogEnv({ LOG_FORMAT: 'auto', NO_COLOR: '1' }, true)).toMatchObject({
      LOG_FORMAT: 'pretty',
      NO_COLOR: '1',
    });
  });

  it('leaves JSON when piped, and obeys LOG_FORMAT=json on a terminal', () => {
    expect(serviceLogEnv({ PATH: '/bin' }, false)).toEqual({ PATH: '/bin' });
    expect(serviceLogEnv({ LOG_FORMAT: 'json' }, true)).toEqual({ LOG_FORMAT: 'json' });
  });
});
