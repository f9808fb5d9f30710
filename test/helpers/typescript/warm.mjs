// Fills the cache of compile.mjs for every TypeScript file of src/ and test/ in one
// process (npm test's pretest), so that the test processes, four at a time, find
// their JavaScript there instead of each loading esbuild for the same files.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compiled } from './compile.mjs';

const root = fileURLToPath(new URL('../../../', import.meta.url));
for (const dir of ['src', 'test']) {
  for (const entry of readdirSync(join(root, dir), { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) await compiled(join(entry.parentPath ?? entry.path, entry.name));
  }
}
