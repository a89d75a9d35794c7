/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query FellowsPage($first: Int, $after: String, $last: Int, $before: String) {\n    fellows(\n      first: $first\n      after: $after\n      last: $last\n      before: $before\n      orderBy: { field: NAME, direction: ASC }\n    ) {\n      totalCount\n      edges {\n        cursor\n        node {\n          id\n          handle\n          name\n          headline\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n": typeof types.FellowsPageDocument,
    "\n  query FellowDetail($handle: String!) {\n    fellow(handle: $handle) {\n      id\n      handle\n      name\n      headline\n      bio\n      status\n      joinedOn\n      links {\n        label\n        url\n      }\n      nominatedBy {\n        name\n        handle\n      }\n      contributions(first: 20) {\n        nodes {\n          id\n          kind\n          title\n          metric\n          url\n        }\n      }\n      strategicAreas(first: 20) {\n        nodes {\n          slug\n          name\n        }\n      }\n    }\n  }\n": typeof types.FellowDetailDocument,
    "\n  query SignedInViewer {\n    viewer {\n      role\n      handle\n      person {\n        name\n      }\n    }\n  }\n": typeof types.SignedInViewerDocument,
    "\n  query EventsCursor {\n    nominationEventsCursor\n  }\n": typeof types.EventsCursorDocument,
    "\n  subscription NominationEvents($after: String) {\n    nominationEvents(filter: { after: $after }) {\n      cursor\n      kind\n      occurredAt\n      actor {\n        handle\n        name\n      }\n      nomination {\n        id\n        nomineeName\n        nomineeHandle\n        status\n        version\n      }\n    }\n  }\n": typeof types.NominationEventsDocument,
};
const documents: Documents = {
    "\n  query FellowsPage($first: Int, $after: String, $last: Int, $before: String) {\n    fellows(\n      first: $first\n      after: $after\n      last: $last\n      before: $before\n      orderBy: { field: NAME, direction: ASC }\n    ) {\n      totalCount\n      edges {\n        cursor\n        node {\n          id\n          handle\n          name\n          headline\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n": types.FellowsPageDocument,
    "\n  query FellowDetail($handle: String!) {\n    fellow(handle: $handle) {\n      id\n      handle\n      name\n      headline\n      bio\n      status\n      joinedOn\n      links {\n        label\n        url\n      }\n      nominatedBy {\n        name\n        handle\n      }\n      contributions(first: 20) {\n        nodes {\n          id\n          kind\n          title\n          metric\n          url\n        }\n      }\n      strategicAreas(first: 20) {\n        nodes {\n          slug\n          name\n        }\n      }\n    }\n  }\n": types.FellowDetailDocument,
    "\n  query SignedInViewer {\n    viewer {\n      role\n      handle\n      person {\n        name\n      }\n    }\n  }\n": types.SignedInViewerDocument,
    "\n  query EventsCursor {\n    nominationEventsCursor\n  }\n": types.EventsCursorDocument,
    "\n  subscription NominationEvents($after: String) {\n    nominationEvents(filter: { after: $after }) {\n      cursor\n      kind\n      occurredAt\n      actor {\n        handle\n        name\n      }\n      nomination {\n        id\n        nomineeName\n        nomineeHandle\n        status\n        version\n      }\n    }\n  }\n": types.NominationEventsDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query FellowsPage($first: Int, $after: String, $last: Int, $before: String) {\n    fellows(\n      first: $first\n      after: $after\n      last: $last\n      before: $before\n      orderBy: { field: NAME, direction: ASC }\n    ) {\n      totalCount\n      edges {\n        cursor\n        node {\n          id\n          handle\n          name\n          headline\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query FellowsPage($first: Int, $after: String, $last: Int, $before: String) {\n    fellows(\n      first: $first\n      after: $after\n      last: $last\n      before: $before\n      orderBy: { field: NAME, direction: ASC }\n    ) {\n      totalCount\n      edges {\n        cursor\n        node {\n          id\n          handle\n          name\n          headline\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query FellowDetail($handle: String!) {\n    fellow(handle: $handle) {\n      id\n      handle\n      name\n      headline\n      bio\n      status\n      joinedOn\n      links {\n        label\n        url\n      }\n      nominatedBy {\n        name\n        handle\n      }\n      contributions(first: 20) {\n        nodes {\n          id\n          kind\n          title\n          metric\n          url\n        }\n      }\n      strategicAreas(first: 20) {\n        nodes {\n          slug\n          name\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query FellowDetail($handle: String!) {\n    fellow(handle: $handle) {\n      id\n      handle\n      name\n      headline\n      bio\n      status\n      joinedOn\n      links {\n        label\n        url\n      }\n      nominatedBy {\n        name\n        handle\n      }\n      contributions(first: 20) {\n        nodes {\n          id\n          kind\n          title\n          metric\n          url\n        }\n      }\n      strategicAreas(first: 20) {\n        nodes {\n          slug\n          name\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SignedInViewer {\n    viewer {\n      role\n      handle\n      person {\n        name\n      }\n    }\n  }\n"): (typeof documents)["\n  query SignedInViewer {\n    viewer {\n      role\n      handle\n      person {\n        name\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query EventsCursor {\n    nominationEventsCursor\n  }\n"): (typeof documents)["\n  query EventsCursor {\n    nominationEventsCursor\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription NominationEvents($after: String) {\n    nominationEvents(filter: { after: $after }) {\n      cursor\n      kind\n      occurredAt\n      actor {\n        handle\n        name\n      }\n      nomination {\n        id\n        nomineeName\n        nomineeHandle\n        status\n        version\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription NominationEvents($after: String) {\n    nominationEvents(filter: { after: $after }) {\n      cursor\n      kind\n      occurredAt\n      actor {\n        handle\n        name\n      }\n      nomination {\n        id\n        nomineeName\n        nomineeHandle\n        status\n        version\n      }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;