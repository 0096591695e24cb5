import { ConfigError, loadConfig } from '@natgw/platform';
import { ExecutorConfig, networkInterfaceTemplateProblem } from './executor.config';

function configError(env: Record<string, string>): string {
  try {
    loadConfig(ExecutorConfig, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('the configuration was accepted');
}

describe('DATAPLANE_NETWORK_INTERFACE', () => {
  it('is unset by default (shared address space) and accepts templates naming {vni}', () => {
    expect(loadConfig(ExecutorConfig, {}).DATAPLANE_NETWORK_INTERFACE).toBeUndefined();
    expect(
      loadConfig(ExecutorConfig, { DATAPLANE_NETWORK_INTERFACE: '' }).DATAPLANE_NETWORK_INTERFACE,
    ).toBeUndefined();
    for (const template of ['vni{vni}', 'vxlan{vni}', 'br-{vni}', 'n{vni}.x', 'abcdefg{vni}'])
      expect(
        loadConfig(ExecutorConfig, { DATAPLANE_NETWORK_INTERFACE: template })
          .DATAPLANE_NETWORK_INTERFACE,
      ).toBe(template);
  });

  it('refuses a template without {vni}, naming the variable', () => {
    expect(configError({ DATAPLANE_NETWORK_INTERFACE: 'vxlan0' })).toMatch(
      /DATAPLANE_NETWORK_INTERFACE must contain \{vni\}/,
    );
  });

  it('refuses a template whose longest expansion (VNI 16777215) is over 15 characters', () => {
    // 'abcdefgh' + 8 digits = 16 characters: one too many.
    expect(configError({ DATAPLANE_NETWORK_INTERFACE: 'abcdefgh{vni}' })).toMatch(
      /DATAPLANE_NETWORK_INTERFACE must expand to at most 15 characters, but VNI 16777215 gives "abcdefgh16777215" \(16\)/,
    );
    // Two {vni} expand twice.
    expect(networkInterfaceTemplateProblem('{vni}{vni}')).toMatch(/at most 15/);
  });

  it('refuses characters Linux or nft would not take in an interface name', () => {
    for (const template of ['vni {vni}', 'vni/{vni}', 'vni:{vni}', 'vní{vni}', '{vni}"'])
      expect(configError({ DATAPLANE_NETWORK_INTERFACE: template })).toMatch(
        /DATAPLANE_NETWORK_INTERFACE must expand to an interface name/,
      );
  });
});

describe('DATAPLANE_VERIFY_SECONDS', () => {
  it('is 300 by default and takes whole seconds from 1 to 86400', () => {
    expect(loadConfig(ExecutorConfig, {}).DATAPLANE_VERIFY_SECONDS).toBe(300);
    expect(
      loadConfig(ExecutorConfig, { DATAPLANE_VERIFY_SECONDS: '30' }).DATAPLANE_VERIFY_SECONDS,
    ).toBe(30);
    expect(configError({ DATAPLANE_VERIFY_SECONDS: '0' })).toMatch(
      /DATAPLANE_VERIFY_SECONDS must be at least 1/,
    );
    expect(configError({ DATAPLANE_VERIFY_SECONDS: '1.5' })).toMatch(
      /DATAPLANE_VERIFY_SECONDS must be an integer/,
    );
    expect(configError({ DATAPLANE_VERIFY_SECONDS: '86401' })).toMatch(
      /DATAPLANE_VERIFY_SECONDS must be at most 86400/,
    );
  });
});

describe('PORT_USAGE_* (port usage, issue 17.3)', () => {
  it('defaults to counting and reporting at most every 30 s, with a 15-minute peak', () => {
    const config = loadConfig(ExecutorConfig, {});
    expect([
      config.PORT_USAGE_INTERVAL_SECONDS,
      config.PORT_USAGE_REPORT_SECONDS,
      config.PORT_USAGE_PEAK_WINDOW_SECONDS,
    ]).toEqual([30, 30, 900]);
    expect(
      loadConfig(ExecutorConfig, { PORT_USAGE_INTERVAL_SECONDS: '0' }).PORT_USAGE_INTERVAL_SECONDS,
    ).toBe(0);
  });

  it('names the variable and the rule when a value is out of bounds', () => {
    expect(configError({ PORT_USAGE_INTERVAL_SECONDS: '3601' })).toMatch(
      /PORT_USAGE_INTERVAL_SECONDS must be between 0 \(off\) and 3600/,
    );
    expect(configError({ PORT_USAGE_INTERVAL_SECONDS: '-1' })).toMatch(
      /PORT_USAGE_INTERVAL_SECONDS/,
    );
    expect(configError({ PORT_USAGE_REPORT_SECONDS: '0' })).toMatch(
      /PORT_USAGE_REPORT_SECONDS must be between 1 and 86400/,
    );
    expect(configError({ PORT_USAGE_PEAK_WINDOW_SECONDS: '2.5' })).toMatch(
      /PORT_USAGE_PEAK_WINDOW_SECONDS must be an integer/,
    );
  });
});
