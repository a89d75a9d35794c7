// Apollo Client's own automatic persisted queries, against a running Fellowship API
// serving the demo data (TRUSTED_DOCUMENTS=allow, the default):
// - the first request sends the hash alone, is answered PERSISTED_QUERY_NOT_FOUND, and
//   the link sends it again with the document, which registers it;
// - the same query from a fresh client is then served by the hash alone, one request;
// - with useGETForHashedQueries, a GET by hash alone gets the data.
// Requests are counted with a fetch of our own around Node's.
// Usage: node persisted-queries.mjs http://127.0.0.1:PORT/graphql
import { createHash } from 'node:crypto';
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client/core/index.js';
import { createPersistedQueryLink } from '@apollo/client/link/persisted-queries/index.js';

const url = process.argv[2] || 'http://127.0.0.1:8080/graphql';
const fail = (message) => {
  console.log(`persisted-queries check: FAILED: ${message}`);
  process.exit(1);
};
setTimeout(() => fail('timed out'), 20000).unref();

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

// Each request the link makes: its method, whether it carried the document, and the
// codes of the errors it was answered with.
const sent = [];
const countingFetch = async (input, init = {}) => {
  const method = (init.method || 'GET').toUpperCase();
  const target = new URL(typeof input === 'string' ? input : input.url);
  const body = init.body ? JSON.parse(init.body) : null;
  const withQuery = method === 'GET' ? target.searchParams.has('query') : Boolean(body && body.query);
  const response = await fetch(input, init);
  const answer = await response.clone().json();
  sent.push({
    method,
    withQuery,
    status: response.status,
    codes: (answer.errors || []).map((e) => e.extensions && e.extensions.code),
  });
  return response;
};

const client = (useGETForHashedQueries) => new ApolloClient({
  cache: new InMemoryCache(),
  link: createPersistedQueryLink({ sha256, useGETForHashedQueries })
    .concat(new HttpLink({ uri: url, fetch: countingFetch })),
  defaultOptions: { query: { fetchPolicy: 'network-only' } },
});

// A document of its own per run, so that no earlier run registered it.
const marker = `Apq${Date.now()}`;
const query = gql`query ${marker} { fellows(first: 3) { totalCount nodes { handle } } }`;

const first = await client(false).query({ query });
if (!first.data || !first.data.fellows) fail(`no data: ${JSON.stringify(first)}`);
if (sent.length !== 2) fail(`expected 2 requests for the first query, got ${JSON.stringify(sent)}`);
if (sent[0].withQuery || !sent[0].codes.includes('PERSISTED_QUERY_NOT_FOUND') || sent[0].status !== 200) {
  fail(`the first request should be the hash alone, answered 200 PERSISTED_QUERY_NOT_FOUND: ${JSON.stringify(sent[0])}`);
}
if (!sent[1].withQuery || sent[1].codes.length) fail(`the retry should carry the document and succeed: ${JSON.stringify(sent[1])}`);

sent.length = 0;
const second = await client(false).query({ query });
if (JSON.stringify(second.data) !== JSON.stringify(first.data)) fail('the second answer differs');
if (sent.length !== 1 || sent[0].withQuery || sent[0].codes.length) {
  fail(`the second query should be served by its hash alone, in one request: ${JSON.stringify(sent)}`);
}

sent.length = 0;
const overGet = await client(true).query({ query });
if (JSON.stringify(overGet.data) !== JSON.stringify(first.data)) fail('the GET answer differs');
if (sent.length !== 1 || sent[0].method !== 'GET' || sent[0].withQuery || sent[0].codes.length) {
  fail(`the GET should be served by the hash alone: ${JSON.stringify(sent)}`);
}

console.log(`persisted-queries check: ok (${first.data.fellows.totalCount} fellows; NOT_FOUND then registered, then by hash over POST and GET)`);
process.exit(0);
