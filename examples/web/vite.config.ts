import { defineConfig } from 'vite';

// `npm run dev` and `npm run preview` pass /graphql (HTTP and the WebSocket) on to the
// API at API_URL, so the page and the API share an origin and need no CORS.
const api = process.env.API_URL ?? 'http://127.0.0.1:8080';
const proxy = { '/graphql': { target: api, ws: true } };

export default defineConfig({
  server: { proxy },
  preview: { proxy },
});
