// The graphql-http server audit (GraphQL over HTTP): every MUST has to pass; SHOULD and
// MAY findings are printed. Usage: node audit.mjs http://127.0.0.1:PORT/graphql
import { auditServer } from 'graphql-http';

const url = process.argv[2] || 'http://127.0.0.1:8080/graphql';
const results = await auditServer({ url });
for (const r of results) {
  if (r.status !== 'ok') console.log(`${r.status.toUpperCase()} ${r.id} ${r.name}: ${r.reason}`);
}
const must = results.filter((r) => r.status === 'error').length;
const should = results.filter((r) => r.status === 'warn').length;
console.log(`graphql-http audit: ${results.length} audits, ${must} MUST failures, ${should} SHOULD warnings`);
process.exit(must === 0 ? 0 : 1);
