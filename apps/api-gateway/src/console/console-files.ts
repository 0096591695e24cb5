import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Where `npm run build` put the console (`dist/console-ui` of the checkout, or of
 * the image's working directory): the first directory above `from` that holds a
 * package.json and a built `dist/console-ui/index.html`; undefined when none does.
 */
export function consoleFilesDir(from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'dist', 'console-ui');
    if (existsSync(join(dir, 'package.json')) && existsSync(join(candidate, 'index.html'))) {
      return candidate;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * Headers of every console file: the page may load only its own files and talk only
 * to this origin, may not be framed (clickjacking), and files are revalidated except
 * Vite's content-hashed assets.
 */
export function consoleHeaders(path: string): Record<string, string> {
  return {
    'Content-Security-Policy':
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cache-Control': /[\\/]assets[\\/]/.test(path)
      ? 'public, max-age=31536000, immutable'
      : 'no-cache',
  };
}
