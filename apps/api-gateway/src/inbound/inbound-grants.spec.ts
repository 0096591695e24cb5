import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@natgw/platform';
import { InboundAuthorizer, loadInboundGrantsFile } from './inbound-grants';

const dir = mkdtempSync(join(tmpdir(), 'natgw-grants-'));
let n = 0;
function file(text: string): string {
  const path = join(dir, `grants-${n++}.yaml`);
  writeFileSync(path, text);
  return path;
}

describe('loadInboundGrantsFile', () => {
  it('reads each system with its namespaces, "*" meaning all', () => {
    const grants = loadInboundGrantsFile(
      file(
        'systems:\n  - name: compute\n    namespaces: [a, b]\n  - name: ops\n    namespaces: "*"\n',
      ),
    );
    expect(grants).toEqual([
      { system: 'compute', namespaces: new Set(['a', 'b']) },
      { system: 'ops', namespaces: '*' },
    ]);
  });

  it('names every bad entry and rule', () => {
    const path = file(
      'systems:\n  - name: Bad.Name\n    namespaces: []\n  - name: x\n    namespaces: [a]\n    verbs: [read]\n  - name: x\n    namespaces: [b]\n',
    );
    let error: ConfigError | undefined;
    try {
      loadInboundGrantsFile(path);
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.message).toContain('systems[0].name must be a DNS-1123 label');
    expect(error?.message).toContain('systems[0].namespaces must be "*" or a non-empty list');
    expect(error?.message).toContain('systems[1] has unknown keys: verbs');
    expect(error?.message).toContain('systems[2] repeats the system "x"');
  });

  it('refuses a file without a systems list, or that is not YAML', () => {
    expect(() => loadInboundGrantsFile(file('tokens: []\n'))).toThrow(/"systems" list/);
    expect(() => loadInboundGrantsFile(file('systems: [\n'))).toThrow(/cannot be read as YAML/);
  });
});

describe('InboundAuthorizer', () => {
  const grants = [
    { system: 'compute', namespaces: new Set(['tenant-a']) },
    { system: 'ops', namespaces: '*' as const },
  ];

  it('allows everything without a grants file', () => {
    const open = new InboundAuthorizer(undefined);
    expect(open.enabled).toBe(false);
    expect(open.denial(undefined, 'any')).toBeUndefined();
    expect(open.denial('whoever', 'any')).toBeUndefined();
  });

  it('with grants: a system stays in its namespaces; unknown systems and the unnamed subject are refused', () => {
    const auth = new InboundAuthorizer(grants);
    expect(auth.denial('compute', 'tenant-a')).toBeUndefined();
    expect(auth.denial('compute', 'tenant-b')).toMatch(/not granted the namespace "tenant-b"/);
    expect(auth.denial('ops', 'anything')).toBeUndefined();
    expect(auth.denial('stranger', 'tenant-a')).toMatch(/"stranger" has no entry/);
    expect(auth.denial(undefined, 'tenant-a')).toMatch(
      /must arrive on an external system's subject/,
    );
  });
});
