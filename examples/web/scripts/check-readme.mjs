// Every ```graphql block of the repository's README (the tour) must be a document of
// named operations that is valid against ../../schema.graphql, as GraphQL Code
// Generator and persisted-document tooling require; a schema change that breaks the
// tour fails here. Usage: node scripts/check-readme.mjs [README] [SCHEMA]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildSchema, parse, validate, Kind } from 'graphql';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const readmePath = process.argv[2] ?? `${root}README.md`;
const schemaPath = process.argv[3] ?? `${root}schema.graphql`;
const schema = buildSchema(readFileSync(schemaPath, 'utf8'));
const readme = readFileSync(readmePath, 'utf8');

const problems = [];
const names = new Map();
let operations = 0;
for (const match of readme.matchAll(/^```graphql\n([\s\S]*?)^```$/gm)) {
  const line = readme.slice(0, match.index).split('\n').length + 1;
  const where = `${readmePath}:${line}`;
  let document;
  try {
    document = parse(match[1]);
  } catch (error) {
    problems.push(`${where}: ${error.message}`);
    continue;
  }
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    operations += 1;
    const name = definition.name?.value;
    if (!name) problems.push(`${where}: an anonymous ${definition.operation}; name it (\`${definition.operation} Name { ... }\`)`);
    else if (names.has(name)) problems.push(`${where}: \`${name}\` is also the name of the operation at ${names.get(name)}`);
    else names.set(name, where);
  }
  for (const error of validate(schema, document)) problems.push(`${where}: ${error.message}`);
}

if (operations === 0) problems.push(`${readmePath}: no \`\`\`graphql block found`);
if (problems.length) {
  console.error(`README operations: FAILED\n${problems.join('\n')}`);
  process.exit(1);
}
console.log(`README operations: ok (${operations} named operations valid against schema.graphql)`);
