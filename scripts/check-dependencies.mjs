// Every dependency in package.json is used: imported somewhere in src/, bench/, scripts/ or test/
// (or a configuration file at the top), or run by an npm script. A dependency nothing uses is
// weight for every install and a surface for every audit. Run by `npm test`; exits 1 naming the
// unused ones.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** Used without an import of its own name; each with the reason. */
const USED_OTHERWISE = {
  vite: 'vitest runs on it; pinned here to a version that works on Node 20',
  '@types/node': 'the types of the Node.js built-ins',
  '@prisma/client': 'the runtime of the Prisma client generated into src/generated',
};
/** Packages an npm script runs by their command name. */
const COMMANDS = { typescript: 'tsc', '@biomejs/biome': 'biome', vitest: 'vitest', tsx: 'tsx' };

function sources(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'generated' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (/\.(ts|mts|js|mjs)$/.test(name)) out.push(path);
  }
  return out;
}

const files = [
  ...['src', 'bench', 'scripts', 'test'].flatMap((dir) => sources(join(root, dir))),
  ...readdirSync(root)
    .filter((name) => /\.config\.(ts|mjs|js)$/.test(name))
    .map((name) => join(root, name)),
];
const text = files.map((file) => readFileSync(file, 'utf8')).join('\n');
const scripts = Object.values(pkg.scripts ?? {}).join('\n');

const imported = (name) =>
  new RegExp(
    `(from|import|require)\\s*\\(?\\s*['"]${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}(/[^'"]*)?['"]`,
  ).test(text);
const isUsed = (name) => {
  if (name in USED_OTHERWISE || imported(name)) return true;
  if (COMMANDS[name] && new RegExp(`\\b${COMMANDS[name]}\\b`).test(scripts)) return true;
  // Type packages go with the package whose types they are.
  if (name.startsWith('@types/'))
    return isUsed(
      name
        .slice('@types/'.length)
        .replace('__', '/')
        .replace(/^([^/]+)\/(.*)$/, '@$1/$2'),
    );
  return new RegExp(`node_modules/${name}/`).test(text);
};

const all = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})];
const unused = all.filter((name) => !isUsed(name));
if (unused.length > 0) {
  console.error(`unused dependencies in package.json: ${unused.join(', ')}`);
  process.exit(1);
}
console.log(`dependencies: all ${all.length} used`);
