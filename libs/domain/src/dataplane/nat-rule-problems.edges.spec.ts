// Edge cases that the mutation run (npm run test:mutation) showed no test pinned down.
import { natRuleShapeProblems } from './nat-rule-problems';
import { parseNatTimeoutsProfile } from './nat-timeouts';

import { natRuleFixture as rule } from '../../test-support/nat-rule-fixture';

describe('natRuleShapeProblems on timeouts', () => {
  it('accepts a rule whose timeouts are a profile and names one that is not', () => {
    const profile = '1200-30-120-30';
    expect(parseNatTimeoutsProfile(profile)).toBeDefined();
    expect(natRuleShapeProblems(rule({ timeouts: profile }))).toEqual([]);
    expect(natRuleShapeProblems(rule({}))).toEqual([]);
    expect(natRuleShapeProblems(rule({ timeouts: '1200-30' }))).toEqual([
      'timeouts "1200-30" is not a timeout profile (<tcpEstablished>-<tcpTransitory>-<tcpTimeWait>-<udp> seconds)',
    ]);
  });
});
