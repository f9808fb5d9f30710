import { expand } from '../../src/expand/index.js';
import { fakeContext } from './fake-context.js';

export const ctx = fakeContext({
  vars: { local_part: 'bob', domain: 'example.com', primary_hostname: 'mail.example.com', empty: '' },
  taintedVars: { sender_address: 'alice@remote.example' },
  headers: {
    Subject: { decoded: 'Spaced  out', raw: '   Spaced  out  \n', bytes: 'Spaced  out' },
    To: { decoded: 'bob@example.com, "Carol, X" <carol@x.example>' },
    'X-Dollar': { decoded: '$local_part ${if}' },
  },
  files: { '/f.txt': 'line1\nline2\n', '/etc/exists': '' },
  env: { FOOENV: 'fooval' },
});

/** The expansion's value; expected values in the tests come from Exim 4.96 (exim -be). */
export const x = (template: string): string => expand(template, ctx).value;

/** The error message of a failing expansion. */
export function err(template: string): string {
  try {
    expand(template, ctx);
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  return '(no error)';
}
