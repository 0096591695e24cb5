/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { eventually } from '@natgw/testing';
import { manifests, NatgwSystem } from './support/natgw-system';
import { launchChromium, pageProblems, screenshotDir } from './support/console-browser';

jest.setTimeout(120_000);

const ADMIN_TOKEN = 'console-e2e-admin-token';
const TENANT_TOKEN = 'console-e2e-tenant-token';

interface Section {
  ip: string;
  port: number;
  endPort: number;
  targetRef: { name: string; uid: string };
}
interface Table {
  metadata: { at?: string };
  ips: Array<{ ip: string; sections: Section[] }>;
}

/**
 * The web console in a real headless Chromium against real processes: sign-in,
 * the live gateway list, the slot map checked against nattable, the audit lookup
 * with its proof, the time slider against nattable?at=, and a 403 shown as such.
 */
describe('web console (headless Chromium, real processes)', () => {
  let system: NatgwSystem;
  let dir: string;
  let browser: Browser;
  let page: Page;
  let base: string;
  let problems: string[];
  const shots = screenshotDir();

  const api = async (method: string, path: string, body?: unknown, token = ADMIN_TOKEN) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as Record<string, unknown>;
    // A write whose read model lags (a long transaction elsewhere on a shared PostgreSQL
    // holds readers back) is recorded all the same: the waits below see it arrive.
    const recorded = res.status === 503 && String(json.message).includes('the change was recorded');
    if (res.status >= 300 && !(method === 'POST' && recorded))
      throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const A = '/apis/networking.ironcore.dev/v1alpha1/namespaces/default';
  const table = async (at?: string) =>
    (await api(
      'GET',
      `${A}/natgateways/gw-1/nattable${at ? `?at=${at}` : ''}`,
    )) as unknown as Table;
  const sections = (t: Table) =>
    t.ips.flatMap((e) => e.sections.map((s) => ({ publicIp: e.ip, ...s })));
  const shot = (name: string) => page.screenshot({ path: join(shots, name), fullPage: true });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'natgw-console-tokens-'));
    const tokensFile = join(dir, 'tokens.yaml');
    writeFileSync(
      tokensFile,
      [
        'tokens:',
        `  - token: ${ADMIN_TOKEN}`,
        '    user: operator',
        '    namespaces: "*"',
        '    verbs: [read, write]',
        `  - token: ${TENANT_TOKEN}`,
        '    user: tenant',
        '    namespaces: [team-a]',
        '    verbs: [read]',
        '',
      ].join('\n'),
    );
    system = await NatgwSystem.create('console_e2e', { PUBLIC_PREFIXES: '203.0.113.0/30' });
    const [gateway] = await Promise.all([
      system.start('api-gateway', { AUTH_TOKENS_FILE: tokensFile }),
      system.start('allocator'),
      system.start('dataplane-executor', { NODE_NAME: 'node-a' }),
      launchChromium().then((b) => (browser = b)),
    ]);
    base = await gateway.url;
    page = await browser.newPage();
    problems = pageProblems(page);
  });

  afterAll(async () => {
    await browser?.close();
    await system?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves the console at /ui/ with a strict content security policy, and signs in with a token', async () => {
    const res = await fetch(`${base}/ui/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await res.text()).toContain('<div id="app">');

    await page.goto(`${base}/ui/`);
    await page.waitForSelector('#token');
    // An unknown token is refused, and the page says why.
    await page.type('#token', 'not-a-token');
    await page.keyboard.press('Enter');
    const refused = await page.waitForSelector('[role=alert]');
    expect(await refused!.evaluate((e) => e.textContent)).toMatch(/Sign-in failed: 401/);
    await shot('console-login.png');

    await page.$eval('#token', (e) => ((e as HTMLInputElement).value = ''));
    await page.type('#token', ADMIN_TOKEN);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#gateways');
    await page.waitForFunction(() => document.querySelector('.live') !== null);
    expect(await page.evaluate(() => sessionStorage.getItem('natgw.token'))).toBe(ADMIN_TOKEN);
  });

  it('shows a gateway created through the API, and its allocation, without a reload', async () => {
    // A marker that a reload would wipe.
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    await api('POST', `${A}/networks`, manifests.network('net-1'));
    await api('POST', `${A}/natgateways`, manifests.gateway('gw-1', 'net-1', 4096));
    await page.waitForSelector('tr[data-gateway="gw-1"]');
    for (let i = 1; i <= 2; i++) {
      await api('POST', `${A}/networkinterfaces`, {
        ...manifests.nic(`vm-${i}`, 'net-1', [`10.0.0.${i}`]),
        spec: { networkRef: { name: 'net-1' }, ips: [`10.0.0.${i}`], nodeName: 'node-a' },
      });
    }
    // 4096 ports per NIC: 15 slots per IP; two NICs use two of them.
    await page.waitForFunction(
      () =>
        document.querySelector('tr[data-gateway="gw-1"] .slots')?.textContent?.trim() === '2 / 15',
      { timeout: 30_000 },
    );
    const row = await page.$eval('tr[data-gateway="gw-1"]', (e) => e.textContent ?? '');
    expect(row).toContain('203.0.113.');
    expect(row).toContain('Allocated=True');
    // Status keeps changing live: the executor programs the slots, and the gateway turns Ready.
    await page.waitForFunction(
      () =>
        document.querySelector('tr[data-gateway="gw-1"]')?.textContent?.includes('Ready=True') ??
        false,
      { timeout: 30_000 },
    );
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
    await shot('console-gateways.png');
  });

  it('draws the slot map exactly as nattable says, with hover and keyboard details', async () => {
    await page.click('tr[data-gateway="gw-1"] a');
    await page.waitForSelector('#slot-map .slot-bar');
    const live = await table();
    const expected = sections(live);
    expect(expected).toHaveLength(2);
    await page.waitForFunction(
      (n: number) => document.querySelectorAll('#slot-map .slot.held').length === n,
      {},
      expected.length,
    );
    const drawn = await page.$$eval('#slot-map .slot-bar', (bars) =>
      bars.flatMap((bar) =>
        [...bar.querySelectorAll<HTMLElement>('.slot')].map((s) => ({
          publicIp: bar.getAttribute('data-ip'),
          port: Number(s.dataset.port),
          endPort: Number(s.dataset.endPort),
          nic: s.dataset.nic ?? null,
        })),
      ),
    );
    // Every slot of every IP is drawn: 15 per IP, for each IP of the table.
    expect(drawn).toHaveLength(15 * live.ips.length);
    for (const s of expected) {
      expect(drawn).toContainEqual({
        publicIp: s.publicIp,
        port: s.port,
        endPort: s.endPort,
        nic: s.targetRef.name,
      });
    }
    expect(drawn.filter((d) => d.nic !== null)).toHaveLength(expected.length);

    const first = expected[0];
    await page.hover(`.slot-bar[data-ip="${first.publicIp}"] .slot[data-port="${first.port}"]`);
    const tip = await page.$eval(`[id="tip-${first.publicIp}"]`, (e) => e.textContent ?? '');
    expect(tip).toContain(
      `NIC ${first.targetRef.name} (${first.ip}) ports ${first.port}-${first.endPort}`,
    );

    // Keyboard: the bar is one tab stop; Home shows its first held slot.
    await page.focus(`.slot-bar[data-ip="${first.publicIp}"]`);
    await page.keyboard.press('End');
    await page.keyboard.press('Home');
    const keyTip = await page.$eval(`[id="tip-${first.publicIp}"]`, (e) => e.textContent ?? '');
    expect(keyTip).toMatch(/NIC vm-\d \(10\.0\.0\.\d\) ports \d+-\d+/);
    await page.mouse.move(0, 0);
    await shot('console-gateway.png');
  });

  it('moves the time slider: the map shows nattable?at= of that instant', async () => {
    // Between the two NICs' slots and a third NIC's: two slots then, three now.
    await new Promise((r) => setTimeout(r, 2500));
    const between = Date.now();
    await new Promise((r) => setTimeout(r, 2500));
    await api('POST', `${A}/networkinterfaces`, {
      ...manifests.nic('vm-3', 'net-1', ['10.0.0.3']),
      spec: { networkRef: { name: 'net-1' }, ips: ['10.0.0.3'], nodeName: 'node-a' },
    });
    await eventually(async () => sections(await table()).length === 3, { what: 'vm-3 has a slot' });
    await page.waitForFunction(
      () => document.querySelectorAll('#slot-map .slot.held').length === 3,
      {
        timeout: 15_000,
      },
    );

    // Slide to the instant between, as a user dragging the slider would end.
    await page.$eval(
      '#time-slider',
      (e, v) => {
        const input = e as HTMLInputElement;
        input.value = String(v);
        input.dispatchEvent(new Event('input', { bubbles: true }));
        input.dispatchEvent(new Event('change', { bubbles: true }));
      },
      between,
    );
    const at = await page.waitForFunction(
      () => {
        const a = document.querySelector('#slot-map')?.getAttribute('data-at');
        return a && a !== 'live' ? a : false;
      },
      { timeout: 15_000 },
    );
    const atText = (await at.jsonValue()) as string;
    expect(Math.abs(Date.parse(atText) - between)).toBeLessThan(1500);
    const then = await table(atText);
    expect(sections(then)).toHaveLength(2);
    await page.waitForFunction(
      () => document.querySelectorAll('#slot-map .slot.held').length === 2,
    );
    const drawnThen = await page.$$eval('#slot-map .slot.held', (cells) =>
      cells
        .map((c) => `${(c as HTMLElement).dataset.nic}:${(c as HTMLElement).dataset.port}`)
        .sort(),
    );
    expect(drawnThen).toEqual(
      sections(then)
        .map((s) => `${s.targetRef.name}:${s.port}`)
        .sort(),
    );
    expect(await page.$eval('#slider-time', (e) => e.textContent)).toBe(atText);
    await shot('console-time-travel.png');

    // The keyboard moves it too: End is now again, the live table.
    await page.focus('#time-slider');
    await page.keyboard.press('End');
    await page.waitForFunction(
      () => document.querySelector('#slot-map')?.getAttribute('data-at') === 'live',
    );
    await page.waitForFunction(
      () => document.querySelectorAll('#slot-map .slot.held').length === 3,
    );
  });

  it('shows the gateway history with causation and correlation links', async () => {
    const items = await page.$$eval('.timeline .event', (events) =>
      events.map((e) => (e as HTMLElement).dataset.type),
    );
    expect(items).toEqual(
      expect.arrayContaining(['NATGatewayCreated', 'NATGatewayIPAssigned', 'NATSlotAssigned']),
    );
    // The gateway's creation: its correlation (the request) lists it, with the same id on each.
    const [corr] = await page.$$(
      '::-p-xpath(//li[@data-type="NATGatewayCreated"]//a[text()="correlation"])',
    );
    const correlationId = await corr.evaluate((a) =>
      new URLSearchParams((a as HTMLAnchorElement).hash.split('?')[1]).get('related'),
    );
    await corr.click();
    await page.waitForSelector('#events-title');
    await page.waitForSelector('.timeline .event[data-type="NATGatewayCreated"]', {
      timeout: 15_000,
    });
    const correlated = await page.$$eval('.timeline .event pre', (pres) =>
      pres.map(
        (p) =>
          (JSON.parse(p.textContent ?? '{}') as { metadata: { correlationId?: string } }).metadata,
      ),
    );
    expect(correlated.length).toBeGreaterThan(0);
    for (const m of correlated) expect(m.correlationId).toBe(correlationId);
    await shot('console-history.png');

    // An allocation event's cause (the allocator's passes started by a timer have none).
    await page.goBack();
    await page.waitForSelector('#gw-title');
    await page.waitForSelector('.timeline .event[data-type="NATSlotAssigned"]');
    const causes = await page.$$(
      '::-p-xpath(//li[starts-with(@data-type, "NAT")]//a[text()="cause"])',
    );
    if (causes.length > 0) {
      const causeId = await causes[0].evaluate((a) =>
        new URLSearchParams((a as HTMLAnchorElement).hash.split('?')[1]).get('id'),
      );
      await causes[0].click();
      await page.waitForSelector('#events-title');
      await page.waitForSelector(`.timeline .event[data-id="${causeId}"]`, { timeout: 15_000 });
      expect(await page.$$('.timeline .event')).toHaveLength(1);
    }
  });

  it('answers an audit lookup with the NIC and the events that prove it', async () => {
    const s = sections(await table()).find((x) => x.targetRef.name === 'vm-2')!;
    await page.goto(`${base}/ui/#/audit`);
    await page.waitForSelector('#audit-ip');
    await page.type('#audit-ip', s.publicIp);
    await page.type('#audit-port', String(s.port + 5));
    await page.$eval('#audit-at', (e) => ((e as HTMLInputElement).value = ''));
    await page.type('#audit-at', new Date().toISOString());
    await page.keyboard.press('Enter');
    await page.waitForSelector('#audit-answer[data-found="true"]');
    expect(await page.$eval('#audit-nic', (e) => e.textContent)).toBe('default/vm-2');
    await page.waitForSelector('.timeline .event.proof[data-type="NATSlotAssigned"]');
    const proof = await page.$eval('.timeline .event.proof pre', (e) => e.textContent ?? '');
    expect(proof).toContain(s.targetRef.uid);
    await shot('console-audit.png');
  });

  it('lists networks with NICs, pools with utilisation and nodes with their drift events', async () => {
    await page.goto(`${base}/ui/#/networks`);
    await page.waitForFunction(() => document.body.textContent?.includes('vm-3'));
    await page.goto(`${base}/ui/#/pools`);
    await page.waitForSelector('meter');
    expect(await page.$eval('main', (e) => e.textContent)).toContain('203.0.113.0/30');
    await page.goto(`${base}/ui/#/nodes/node-a`);
    await page.waitForFunction(() => document.body.textContent?.includes('Drift on node-a'));
    await page.waitForFunction(
      () => document.querySelector('main table a')?.textContent === 'node-a',
    );
  });

  it('passes a basic accessibility check on every page, and is usable from the keyboard', async () => {
    const pages = [
      'gateways',
      'gateways/default/gw-1',
      'networks',
      'pools',
      'nodes/node-a',
      'audit',
    ];
    for (const path of pages) {
      await page.goto(`${base}/ui/#/${path}`);
      await page.waitForSelector('main h1');
      await page.waitForNetworkIdle({ idleTime: 300, timeout: 15_000 }).catch(() => undefined);
      const report = await page.evaluate(() => {
        const unlabelled = [...document.querySelectorAll('input, select, textarea')]
          .filter(
            (e) => (e as HTMLInputElement).labels?.length === 0 && !e.getAttribute('aria-label'),
          )
          .map((e) => e.outerHTML.slice(0, 80));
        const nameless = [...document.querySelectorAll('button, a')]
          .filter((e) => !(e.textContent ?? '').trim() && !e.getAttribute('aria-label'))
          .map((e) => e.outerHTML.slice(0, 80));
        const tables = [...document.querySelectorAll('table')].filter(
          (t) => !t.querySelector('caption') || t.querySelectorAll('th[scope=col]').length === 0,
        ).length;
        return {
          h1: document.querySelectorAll('h1').length,
          main: document.querySelectorAll('main').length,
          nav: document.querySelectorAll('nav[aria-label]').length,
          lang: document.documentElement.lang,
          unlabelled,
          nameless,
          tables,
        };
      });
      expect([path, report]).toEqual([
        path,
        { h1: 1, main: 1, nav: 1, lang: 'en', unlabelled: [], nameless: [], tables: 0 },
      ]);
    }
    // From the top of a page: Tab reaches the skip link first, Enter moves focus to the content.
    await page.goto(`${base}/ui/#/gateways`);
    await page.reload();
    await page.waitForSelector('tr[data-gateway="gw-1"]');
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    // Tab on from there reaches the gateway's link, and Enter opens its page.
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate(() => document.activeElement?.textContent === 'gw-1')) break;
    }
    await page.keyboard.press('Enter');
    await page.waitForSelector('#slot-map');
    expect(await page.evaluate(() => location.hash)).toBe('#/gateways/default/gw-1');
  });

  it('shows a token outside its grant the 403 the API answered', async () => {
    await page.evaluate(() => sessionStorage.setItem('natgw.token', 'console-e2e-tenant-token'));
    await page.goto(`${base}/ui/#/audit`);
    await page.waitForSelector('#audit-ip');
    await page.type('#audit-ip', '203.0.113.1');
    await page.type('#audit-port', '2000');
    await page.keyboard.press('Enter');
    const alert = await page.waitForSelector('[role=alert]');
    expect(await alert!.evaluate((e) => e.textContent)).toMatch(/^403: .*User "tenant" cannot/);
    expect(problems.filter((p) => !/status of 40[13]/.test(p))).toEqual([]);
    if (process.env.UPDATE_SCREENSHOTS === '1') {
      expect(statSync(join(shots, 'console-gateway.png')).size).toBeGreaterThan(10_000);
    }
  });
});
