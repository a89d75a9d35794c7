// Every operation the page sends, named, checked against ../../schema.graphql by
// GraphQL Code Generator (`npm run codegen`), which types each one.
import { graphql } from './gql';

/** One page of fellows by name: `first`/`after` forwards, `last`/`before` back. */
export const FellowsPage = graphql(`
  query FellowsPage($first: Int, $after: String, $last: Int, $before: String) {
    fellows(
      first: $first
      after: $after
      last: $last
      before: $before
      orderBy: { field: NAME, direction: ASC }
    ) {
      totalCount
      edges {
        cursor
        node {
          id
          handle
          name
          headline
        }
      }
      pageInfo {
        hasNextPage
        hasPreviousPage
        startCursor
        endCursor
      }
    }
  }
`);

/** One fellow's public profile. */
export const FellowDetail = graphql(`
  query FellowDetail($handle: String!) {
    fellow(handle: $handle) {
      id
      handle
      name
      headline
      bio
      status
      joinedOn
      links {
        label
        url
      }
      nominatedBy {
        name
        handle
      }
      contributions(first: 20) {
        nodes {
          id
          kind
          title
          metric
          url
        }
      }
      strategicAreas(first: 20) {
        nodes {
          slug
          name
        }
      }
    }
  }
`);

/** Who the pasted token belongs to. */
export const SignedInViewer = graphql(`
  query SignedInViewer {
    viewer {
      role
      handle
      person {
        name
      }
    }
  }
`);

/** Where the nomination events stand now: subscribing from here misses none. */
export const EventsCursor = graphql(`
  query EventsCursor {
    nominationEventsCursor
  }
`);

/** Every change of a nomination, as it commits; `after` resumes after a cursor. */
export const NominationEvents = graphql(`
  subscription NominationEvents($after: String) {
    nominationEvents(filter: { after: $after }) {
      cursor
      kind
      occurredAt
      actor {
        handle
        name
      }
      nomination {
        id
        nomineeName
        nomineeHandle
        status
        version
      }
    }
  }
`);
