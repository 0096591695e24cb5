// When dist/ is stale: every change to what tsconfig.build.json compiles, and nothing else.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildNeeded, writeStamp } = require('./build-if-needed') as {
  buildNeeded(root: string): string | null;
  writeStamp(root: string): void;
};

describe('buildNeeded', () => {
  let root: string;
  const write = (relative: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
    fs.writeFileSync(path.join(root, relative), text);
  };
  const backdate = (relative: string, seconds: number) => {
    const at = new Date(Date.now() - seconds * 1000);
    fs.utimesSync(path.join(root, relative), at, at);
  };

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'natgw-build-stamp-'));
    write('tsconfig.json', '{}');
    write('tsconfig.build.json', '{}');
    write('apps/api/src/main.ts', 'export const a = 1;\n');
    write('libs/domain/src/rule.ts', 'export const b = 2;\n');
    write('libs/domain/src/rule.spec.ts', "it('x', () => {});\n");
    write('libs/testing/src/helper.ts', 'export const c = 3;\n');
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('builds when there is no build yet, and not again right after one', () => {
    expect(buildNeeded(root)).toBe('no build yet');
    writeStamp(root);
    expect(buildNeeded(root)).toBeNull();
  });

  it('builds after a source is edited, even to an older modification time', () => {
    writeStamp(root);
    write('libs/domain/src/rule.ts', 'export const b = 3;\n');
    backdate('libs/domain/src/rule.ts', 3600);
    expect(buildNeeded(root)).toBe('sources changed since the last build');
  });

  it('builds after a source is added, deleted or moved with its modification time kept', () => {
    writeStamp(root);
    write('apps/api/src/extra.ts', 'export const d = 4;\n');
    expect(buildNeeded(root)).not.toBeNull();
    writeStamp(root);
    fs.rmSync(path.join(root, 'apps/api/src/extra.ts'));
    expect(buildNeeded(root)).not.toBeNull();
    writeStamp(root);
    fs.renameSync(
      path.join(root, 'libs/domain/src/rule.ts'),
      path.join(root, 'libs/domain/src/rules.ts'),
    );
    expect(buildNeeded(root)).not.toBeNull();
  });

  it('builds after either tsconfig changes', () => {
    writeStamp(root);
    write('tsconfig.build.json', '{"compilerOptions":{}}');
    expect(buildNeeded(root)).not.toBeNull();
    writeStamp(root);
    write('tsconfig.json', '{"compilerOptions":{}}');
    expect(buildNeeded(root)).not.toBeNull();
  });

  it('does not build for a spec or a test helper, which dist/ does not contain', () => {
    writeStamp(root);
    write('libs/domain/src/rule.spec.ts', "it('y', () => {});\n");
    write('libs/testing/src/helper.ts', 'export const c = 4;\n');
    write('libs/testing/src/more.ts', 'export const e = 5;\n');
    expect(buildNeeded(root)).toBeNull();
  });
});
