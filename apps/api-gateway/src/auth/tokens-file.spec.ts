import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@natgw/platform';
import { hashToken } from './token-authenticator';
import { loadTokensFile } from './tokens-file';

const SECRET = 's3cr3t-do-not-log-7f3a';
const dir = mkdtempSync(join(tmpdir(), 'natgw-tokens-spec-'));

function problemsOf(content: string): string {
  const file = join(dir, `tokens-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, content);
  try {
    loadTokensFile(file, hashToken);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('the file was accepted');
}

describe('loadTokensFile never prints a token', () => {
  it.each([
    ['an unterminated quote', `tokens:\n  - token: "${SECRET}\n    user: x\n`],
    ['a nested mapping on the token line', `tokens:\n  - token: ${SECRET}: x\n`],
    ['a repeated key', `tokens:\n  - token: ${SECRET}\n    token: ${SECRET}\n`],
    ['a broken flow sequence', `tokens:\n - token: ${SECRET}\n   user: [\n`],
    ['a token that lost its key', `tokens:\n  - ${SECRET}: x\n    user: a\n`],
    ['a token in place of the list', `tokens: ${SECRET}\n`],
    ['a token as the user', `tokens:\n  - tokenSha256: nothex\n    user: [${SECRET}]\n`],
  ])('%s', (_what, content) => {
    const message = problemsOf(content);
    expect(message).toContain('AUTH_TOKENS_FILE');
    expect(message).not.toContain(SECRET);
    expect(message).not.toContain(SECRET.slice(0, 8));
  });

  it('says where a YAML error is', () => {
    expect(problemsOf(`tokens:\n  - token: ${SECRET}: x\n`)).toContain('at line 2, column');
  });
});
