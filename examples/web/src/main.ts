// The page: fellows by name, a page at a time (the API's cursor pagination), one
// fellow's profile, and, for a signed-in staff member, nomination events as they
// happen. The address names the view (`#/`, `#/?after=...`, `#/?before=...`,
// `#/fellows/HANDLE`), so Back and Forward work and a page can be linked.
import type { CombinedError } from '@urql/core';
import './style.css';
import { connect, type Api } from './client';
import { fill, h } from './dom';
import type { NominationEventsSubscription } from './gql/graphql';
import { EventsCursor, FellowDetail, FellowsPage, NominationEvents, SignedInViewer } from './operations';
import { storeToken, storedToken } from './session';

const PAGE_SIZE = 3;

const main = document.querySelector<HTMLElement>('#view')!;
const signIn = document.querySelector<HTMLFormElement>('#sign-in')!;
const tokenInput = document.querySelector<HTMLInputElement>('#token')!;
const whoami = document.querySelector<HTMLElement>('#whoami')!;
const live = document.querySelector<HTMLElement>('#live')!;

let api: Api = connect(storedToken(), () => restartEvents());
let stopEvents: (() => void) | null = null;
let lastCursor: string | null = null;
const seen = new Set<string>();

/** What went wrong, with the contract's error code when the server gave one. */
function problem(error: CombinedError | undefined): HTMLElement {
  if (!error) return h('p', { class: 'error', role: 'alert' }, 'The API sent no data.');
  const codes = error.graphQLErrors.map((e) => e.extensions?.code).filter(Boolean);
  const text = error.networkError
    ? `The API did not answer: ${error.networkError.message}`
    : error.graphQLErrors.map((e) => e.message).join(' ');
  return h('p', { class: 'error', role: 'alert' }, text, codes.length ? ` (${codes.join(', ')})` : '');
}

async function showFellows(params: URLSearchParams): Promise<void> {
  const before = params.get('before');
  const variables = before
    ? { last: PAGE_SIZE, before }
    : { first: PAGE_SIZE, after: params.get('after') };
  fill(main, h('p', { class: 'muted' }, 'Loading fellows…'));
  const result = await api.client.query(FellowsPage, variables).toPromise();
  if (result.error || !result.data) return fill(main, problem(result.error));
  const { edges, pageInfo, totalCount } = result.data.fellows;
  // The cursors of the rows at the edges of this page lead to the pages beside it.
  const previous = pageInfo.hasPreviousPage && pageInfo.startCursor
    ? `#/?before=${encodeURIComponent(pageInfo.startCursor)}` : null;
  const next = pageInfo.hasNextPage && pageInfo.endCursor
    ? `#/?after=${encodeURIComponent(pageInfo.endCursor)}` : null;
  fill(
    main,
    h('h2', {}, `Fellows (${totalCount})`),
    h('ul', { id: 'fellows', class: 'fellows' }, ...edges.map(({ node }) => h('li', {},
      h('a', { href: `#/fellows/${encodeURIComponent(node.handle)}` }, node.name),
      node.headline ? h('span', { class: 'muted' }, ` — ${node.headline}`) : null))),
    h('nav', { class: 'pager', 'aria-label': 'Pages' },
      previous ? h('a', { id: 'previous', href: previous, rel: 'prev' }, '← Previous') : h('span', { class: 'muted' }, '← Previous'),
      next ? h('a', { id: 'next', href: next, rel: 'next' }, 'Next →') : h('span', { class: 'muted' }, 'Next →')),
  );
}

async function showFellow(handle: string): Promise<void> {
  fill(main, h('p', { class: 'muted' }, 'Loading…'));
  const result = await api.client.query(FellowDetail, { handle }).toPromise();
  if (result.error) return fill(main, problem(result.error));
  const fellow = result.data?.fellow;
  if (!fellow) return fill(main, h('p', {}, `No fellow has the handle ${handle}.`), h('a', { href: '#/' }, 'All fellows'));
  fill(
    main,
    h('article', { id: 'fellow' },
      h('h2', {}, fellow.name),
      h('p', { class: 'muted' }, `@${fellow.handle} · ${fellow.status.toLowerCase()} · joined ${fellow.joinedOn}`),
      fellow.headline ? h('p', { class: 'headline' }, fellow.headline) : null,
      fellow.bio ? h('p', {}, fellow.bio) : null,
      fellow.nominatedBy ? h('p', {}, `Nominated by ${fellow.nominatedBy.name}`) : null,
      h('h3', {}, 'Contributions'),
      h('ul', { id: 'contributions' }, ...fellow.contributions.nodes.map((c) => h('li', {},
        c.url ? h('a', { href: c.url, rel: 'noopener' }, c.title) : c.title,
        c.metric ? ` (${c.metric})` : '',
        h('span', { class: 'kind' }, c.kind.toLowerCase().replaceAll('_', ' '))))),
      fellow.strategicAreas.nodes.length
        ? h('p', {}, 'Works in: ', fellow.strategicAreas.nodes.map((a) => a.name).join(', ')) : null,
      fellow.links.length
        ? h('p', {}, ...fellow.links.flatMap((l, i) => [i ? ' · ' : '', h('a', { href: l.url, rel: 'noopener' }, l.label)])) : null),
    h('a', { href: '#/', id: 'back' }, '← All fellows'),
  );
}

function route(): void {
  const [path, query = ''] = window.location.hash.replace(/^#/, '').split('?');
  const fellow = /^\/fellows\/(.+)$/.exec(path ?? '');
  void (fellow ? showFellow(decodeURIComponent(fellow[1]!)) : showFellows(new URLSearchParams(query)));
}

type Event = NominationEventsSubscription['nominationEvents'];

function showEvent(event: Event): void {
  // A resumed subscription may send again what the last one delivered.
  if (seen.has(event.cursor)) return;
  seen.add(event.cursor);
  lastCursor = event.cursor;
  const list = live.querySelector('#events') ?? live.appendChild(h('ol', { id: 'events', reversed: true }));
  live.querySelector('.waiting')?.remove();
  list.prepend(h('li', { 'data-handle': event.nomination.nomineeHandle },
    h('strong', {}, event.kind), ' ',
    `${event.nomination.nomineeName} (@${event.nomination.nomineeHandle}), now ${event.nomination.status}`,
    event.actor ? `, by ${event.actor.name}` : '',
    h('time', { datetime: event.occurredAt }, new Date(event.occurredAt).toLocaleTimeString())));
}

/** Follows nomination events from `lastCursor` on (from now when there is none). */
function followEvents(): void {
  const { unsubscribe } = api.client
    .subscription(NominationEvents, { after: lastCursor })
    .subscribe((result) => {
      if (result.error) live.append(problem(result.error));
      else if (result.data) showEvent(result.data.nominationEvents);
    });
  stopEvents = unsubscribe;
}

/** After the socket came back, ask again from the last event seen, missing none. */
function restartEvents(): void {
  if (!stopEvents) return;
  stopEvents();
  followEvents();
}

async function showViewer(): Promise<void> {
  stopEvents?.();
  stopEvents = null;
  fill(live);
  if (!storedToken()) return fill(whoami, 'Not signed in.');
  const result = await api.client.query(SignedInViewer, {}).toPromise();
  if (result.error || !result.data) return fill(whoami, problem(result.error));
  const { role, handle, person } = result.data.viewer;
  fill(whoami, `Signed in as ${person?.name ?? handle ?? 'a partner token'} (${role}).`);
  if (role !== 'STAFF') {
    return fill(live, h('p', { class: 'muted' }, 'Live nomination events are for staff.'));
  }
  // Subscribing from where the events stand now, rather than from whenever the socket
  // is ready, misses no change made in between.
  const cursor = await api.client.query(EventsCursor, {}, { requestPolicy: 'network-only' }).toPromise();
  if (cursor.error) return fill(live, problem(cursor.error));
  lastCursor = cursor.data?.nominationEventsCursor ?? null;
  fill(live, h('h2', {}, 'Nominations, live'),
    h('p', { class: 'muted waiting' }, 'Waiting for the next nomination change…'));
  followEvents();
}

signIn.addEventListener('submit', (event) => {
  event.preventDefault();
  const submitter = (event.submitter as HTMLButtonElement | null)?.value;
  const token = storeToken(submitter === 'out' ? '' : tokenInput.value);
  tokenInput.value = '';
  stopEvents?.();
  stopEvents = null;
  api.dispose();
  api = connect(token, () => restartEvents());
  lastCursor = null;
  seen.clear();
  void showViewer();
  route();
});

window.addEventListener('hashchange', route);
route();
void showViewer();
