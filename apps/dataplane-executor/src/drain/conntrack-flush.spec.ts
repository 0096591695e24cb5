import { ConntrackFlusher, type CommandRunner } from './conntrack-flush';

const slot = { privateIp: '10.0.0.2', ip: '203.0.113.1', port: 1024, endPort: 2047 };

describe('ConntrackFlusher', () => {
  it('deletes by original source and reply destination, inside DATAPLANE_NETNS', async () => {
    const calls: string[][] = [];
    const run: CommandRunner = async (command, args) => {
      calls.push([command, ...args]);
      return {
        code: 0,
        stdout: '',
        stderr: 'conntrack v1.4.7 (conntrack-tools): 3 flow entries have been deleted.\n',
      };
    };
    expect(await new ConntrackFlusher('gw-ns', run).flush(slot)).toBe(3);
    expect(
      await new ConntrackFlusher(undefined, run).flush({
        ...slot,
        privateIp: 'fd00::2',
        ip: '2001:db8::1',
      }),
    ).toBe(3);
    expect(calls).toEqual([
      [
        'ip',
        'netns',
        'exec',
        'gw-ns',
        'conntrack',
        '-D',
        '-f',
        'ipv4',
        '-s',
        '10.0.0.2',
        '-q',
        '203.0.113.1',
      ],
      ['conntrack', '-D', '-f', 'ipv6', '-s', 'fd00::2', '-q', '2001:db8::1'],
    ]);
  });

  it('counts nothing deleted (exit 1) as 0, and fails on anything else', async () => {
    const none: CommandRunner = async () => ({
      code: 1,
      stdout: '',
      stderr: 'conntrack v1.4.7 (conntrack-tools): 0 flow entries have been deleted.\n',
    });
    expect(await new ConntrackFlusher(undefined, none).flush(slot)).toBe(0);
    const broken: CommandRunner = async () => ({
      code: 2,
      stdout: '',
      stderr: 'Operation not permitted',
    });
    await expect(new ConntrackFlusher(undefined, broken).flush(slot)).rejects.toThrow(
      'conntrack -D -f ipv4 -s 10.0.0.2 -q 203.0.113.1 failed (exit 2): Operation not permitted',
    );
  });
});
