// One urql client per token: queries over HTTP POST with `Authorization: Bearer`, and
// subscriptions over a graphql-transport-ws socket whose `connection_init` payload
// carries the same header, `{"Authorization": "Bearer ..."}`, as the server expects.
import { Client, cacheExchange, fetchExchange, subscriptionExchange } from '@urql/core';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';

/**
 * Where the API is: `VITE_GRAPHQL_URL` at build time (another origin, which the server
 * must list in `CORS_ALLOWED_ORIGINS`), or `/graphql` on this origin (the dev server
 * and `vite preview` proxy it to the API).
 */
export const graphqlUrl = new URL(import.meta.env.VITE_GRAPHQL_URL || '/graphql', window.location.href);
const wsUrl = graphqlUrl.href.replace(/^http/, 'ws');

export interface Api {
  client: Client;
  socket: WsClient;
  dispose(): void;
}

export function connect(token: string | null, onSocketReconnected: () => void): Api {
  const authorization = token ? { Authorization: `Bearer ${token}` } : undefined;
  const socket = createWsClient({
    url: wsUrl,
    connectionParams: authorization,
    // Nobody without a token may subscribe: the socket opens only when a subscription
    // starts, and closes when the last one ends.
    lazy: true,
    // A replica that restarts closes its sockets (1001) and the reconnect may find no
    // listener, or an HTTP error, for a moment; by default the client takes that for
    // fatal and stops. Retry whatever the failure (with its backoff): the subscription
    // then resumes after the last event seen (see main.ts).
    shouldRetry: () => true,
    retryAttempts: 20,
    on: {
      connected: (_socket, _payload, wasRetry) => {
        if (wasRetry) onSocketReconnected();
      },
    },
  });
  const client = new Client({
    url: graphqlUrl.href,
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const payload = { ...request, query: request.query ?? '' };
          return {
            subscribe: (sink) => ({ unsubscribe: socket.subscribe(payload, sink) }),
          };
        },
      }),
    ],
    fetchOptions: () => ({ headers: authorization ?? {} }),
    preferGetMethod: false,
  });
  return { client, socket, dispose: () => void socket.dispose() };
}
