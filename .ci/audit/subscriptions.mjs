// Follows nomination events with the graphql-ws client library itself (what frontends
// and GraphiQL use), against a running Fellowship API serving the demo data:
// - a staff token in connection_init receives the event of a nomination submitted
//   over HTTP, with its kind and the nomination as it was;
// - an anonymous client is refused with close code 4403 and receives nothing.
// Usage: TOKEN=<staff token for merve> node subscriptions.mjs http://127.0.0.1:PORT/graphql
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const url = process.argv[2] || 'http://127.0.0.1:8080/graphql';
const wsUrl = url.replace(/^http/, 'ws');
const token = process.env.TOKEN;
if (!token) throw new Error('set TOKEN to a staff token');

const fail = (message) => {
  console.log(`graphql-ws check: FAILED: ${message}`);
  process.exit(1);
};
setTimeout(() => fail('timed out'), 20000).unref();

const client = (connectionParams) => createClient({
  url: wsUrl, webSocketImpl: WebSocket, connectionParams, retryAttempts: 0,
});

// Anonymous: refused with 4403, nothing delivered.
const refused = await new Promise((resolve) => {
  const anonymous = client({});
  anonymous.subscribe({ query: 'subscription { nominationEvents { kind } }' }, {
    next: (value) => resolve(`delivered ${JSON.stringify(value)}`),
    error: (err) => resolve(err && err.code),
    complete: () => resolve('completed'),
  });
});
if (refused !== 4403) fail(`anonymous subscriber got ${refused}, not close code 4403`);

// Staff: the event of a nomination submitted over HTTP arrives.
const staff = client({ Authorization: `Bearer ${token}` });
const handle = `graphql-ws-${Date.now()}`;
const event = new Promise((resolve, reject) => {
  staff.subscribe({
    query: 'subscription { nominationEvents { cursor kind nomination { nomineeHandle status version } } }',
  }, {
    next: (value) => resolve(value),
    error: (err) => reject(new Error(`subscription error: ${JSON.stringify(err.code || err)}`)),
    complete: () => reject(new Error('completed early')),
  });
});
await new Promise((resolve) => setTimeout(resolve, 500));
const submitted = await fetch(url, {
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
  body: JSON.stringify({
    query: 'mutation($input: SubmitNominationInput!) { submitNomination(input: $input) { userErrors { message } } }',
    variables: { input: { nomineeName: 'Client Check', nomineeHandle: handle, nomineeEmail: `${handle}@example.org`,
      rationale: 'Followed with graphql-ws.', strategicAreaSlugs: [], links: [] } },
  }),
}).then((r) => r.json());
if (submitted.errors || submitted.data.submitNomination.userErrors.length) fail(JSON.stringify(submitted));
const received = await event.catch((err) => fail(err.message));
const got = received.data && received.data.nominationEvents;
if (!got || got.kind !== 'SUBMITTED' || got.nomination.nomineeHandle !== handle
  || got.nomination.status !== 'SUBMITTED' || !got.cursor) {
  fail(`unexpected event ${JSON.stringify(received)}`);
}
await staff.dispose();
console.log('graphql-ws check: ok (staff received SUBMITTED; anonymous closed 4403)');
process.exit(0);
