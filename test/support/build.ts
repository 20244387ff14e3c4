import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Many tests run the real CLI (bin/nn-train.js runs dist/), so the build must match the
 * sources being tested. Build once, before any test file starts: building from inside a test
 * would race the child processes of the others.
 */
export default function setup(): void {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
}
