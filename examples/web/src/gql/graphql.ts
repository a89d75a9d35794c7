/* eslint-disable */
import type { JsonValue } from '../json';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
export type Maybe<T> = T | null;
export type InputMaybe<T> = T | null | undefined;
export type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
export type MakeOptional<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]?: Maybe<T[SubKey]> };
export type MakeMaybe<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]: Maybe<T[SubKey]> };
export type MakeEmpty<T extends { [key: string]: unknown }, K extends keyof T> = { [_ in K]?: never };
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /**
   * A calendar date, `YYYY-MM-DD` (ISO 8601), such as `2022-04-18`. A date sent to the
   * server must be written exactly so, in the years 1900 to 9999; anything else is
   * refused with `BAD_USER_INPUT`.
   */
  Date: { input: string; output: string; }
  /**
   * An instant: an RFC 3339 date and time with its offset, such as
   * `2022-04-18T09:30:00Z` or `2022-04-18T11:30:00+02:00`. The server writes UTC
   * (`+00:00`), with a fraction of a second when there is one.
   */
  DateTime: { input: string; output: string; }
  /**
   * Any JSON value (RFC 8259): an object, an array, a string, a number, `true`,
   * `false` or `null`, sent as itself, not inside a string.
   */
  JSON: { input: JsonValue; output: JsonValue; }
};

/** Which accounts to list; every field left out admits all. */
export type AccountFilter = {
  /** `true`: only disabled accounts; `false`: only enabled ones. */
  disabled?: InputMaybe<Scalars['Boolean']['input']>;
  /** Only accounts of this role. */
  role?: InputMaybe<AccountRole>;
};

/** What an account may do. */
export type AccountRole =
  /** A fellow of the program: nominates, endorses, edits their own profile. */
  | 'FELLOW'
  /**
   * A member of the team that runs the program: may do everything, except decide a
   * nomination they submitted or endorsed.
   */
  | 'STAFF';

/** A contribution to add to a fellow's record. */
export type AddContributionInput = {
  /** More about it (at most 5,000 characters). */
  description?: InputMaybe<Scalars['String']['input']>;
  /** The fellow's global ID (`Fellow.id`). */
  fellowId: Scalars['ID']['input'];
  /** What kind of contribution it was. */
  kind: ContributionKind;
  /** A figure that says how much, such as "300+ models". */
  metric?: InputMaybe<Scalars['String']['input']>;
  /** When it happened; not in the future. */
  occurredOn?: InputMaybe<Scalars['Date']['input']>;
  /** What it was, in one line (1 to 200 characters). */
  title: Scalars['String']['input'];
  /** An http or https URL. */
  url?: InputMaybe<Scalars['String']['input']>;
};

/** A representative of the member to appoint to the foundation's board. */
export type AppointBoardRepresentativeInput = {
  /** "Governing Board" when absent. */
  board?: InputMaybe<Scalars['String']['input']>;
  /**
   * The membership the seat comes with (`FoundationMembership.id`): one that lasts, at a
   * tier that carries a seat.
   */
  membershipId: Scalars['ID']['input'];
  /**
   * Their hub handle, if known, to go with `representativeName`. When a person the
   * records know has this handle, that person is appointed, under their recorded name.
   */
  representativeHandle?: InputMaybe<Scalars['String']['input']>;
  /**
   * A person the records know; or give `representativeName` (and a handle, if
   * known) for someone new.
   */
  representativeId?: InputMaybe<Scalars['ID']['input']>;
  /**
   * The full name of a representative the records do not know yet (1 to 200
   * characters); ignored when `representativeId` is given.
   */
  representativeName?: InputMaybe<Scalars['String']['input']>;
  /** Today when absent. */
  since?: InputMaybe<Scalars['Date']['input']>;
  /** The representative's title at the member, such as "Head of Open Source". */
  title?: InputMaybe<Scalars['String']['input']>;
};

/** A current strategic area to archive. */
export type ArchiveStrategicAreaInput = {
  /** The `version` the caller last read; a stale one is refused with `CONFLICT`. */
  expectedVersion: Scalars['Int']['input'];
  /** The area's global ID (`StrategicArea.id`). */
  strategicAreaId: Scalars['ID']['input'];
};

/** Which audit events to list. */
export type AuditEventFilter = {
  /** Only events of this action, such as `apiToken.revoke`. */
  action?: InputMaybe<Scalars['String']['input']>;
  /** Only events by the person with this hub handle. */
  actor?: InputMaybe<Scalars['String']['input']>;
  /** Only events about the object with this global ID. */
  objectId?: InputMaybe<Scalars['ID']['input']>;
};

/** What a benefit is; grants depend on each fellow's needs and projects. */
export type BenefitKind =
  /** Computing and resources. */
  | 'COMPUTE'
  /** Exclusive merchandise and assets. */
  | 'MERCHANDISE'
  /** A network of expert peers. */
  | 'PEER_NETWORK'
  /** Official recognition. */
  | 'RECOGNITION'
  /** Direct contact with the team: insight into upcoming projects and features. */
  | 'STAFF_CONTACT'
  /** Exclusive workshops and support from the team. */
  | 'WORKSHOPS';

/** What kind of thing a contribution was. */
export type ContributionKind =
  /** Speaking for a field or a cause (for example speech and audio). */
  | 'ADVOCACY'
  /** Founding or growing a community (for example a language community). */
  | 'COMMUNITY_BUILDING'
  /** Sprints, hackathons, workshops and paper sessions. */
  | 'EVENTS'
  /** Helping other contributors on the forum, GitHub or chat. */
  | 'FORUM_SUPPORT'
  /** Code in open-source libraries (new architectures, features, fixes). */
  | 'LIBRARY_CODE'
  /** Publishing models on the hub. */
  | 'MODEL_PUBLISHING'
  /** Anything else. */
  | 'OTHER'
  /** Starting or leading a working group. */
  | 'WORKING_GROUP';

/** A new partner token: what it is for, what it may do, and until when. */
export type CreateApiTokenInput = {
  /** When it stops working; at most 366 days ahead, 90 days when absent. */
  expiresAt?: InputMaybe<Scalars['DateTime']['input']>;
  /** What the token is for, such as the partner's name (1 to 100 characters). */
  name: Scalars['String']['input'];
  /** What it may do: `benefits:read`, `nominations:read`; at least one. */
  scopes: Array<Scalars['String']['input']>;
};

/** A fellow to give an account to. */
export type CreateFellowAccountInput = {
  /** The fellow's global ID (`Fellow.id`). */
  fellowId: Scalars['ID']['input'];
};

/** A new organization. */
export type CreateOrganizationInput = {
  /** What it is or does (at most 5,000 characters). */
  description?: InputMaybe<Scalars['String']['input']>;
  /** What sort of body it is; only a `FOUNDATION` can have members. */
  kind: OrganizationKind;
  /** The organization's name (1 to 200 characters). */
  name: Scalars['String']['input'];
  /** The umbrella organization. */
  parentId?: InputMaybe<Scalars['ID']['input']>;
  /** Lower-case words joined by hyphens, such as `pytorch-foundation`. */
  slug: Scalars['String']['input'];
  /** Its website: an http or https URL. */
  websiteUrl?: InputMaybe<Scalars['String']['input']>;
};

/** A new strategic area. */
export type CreateStrategicAreaInput = {
  /** What the area covers (at most 5,000 characters). */
  description?: InputMaybe<Scalars['String']['input']>;
  /** The area's name (1 to 200 characters). */
  name: Scalars['String']['input'];
  /** Lower-case words joined by hyphens, such as `speech-and-audio`. */
  slug: Scalars['String']['input'];
};

/** A new webhook endpoint. */
export type CreateWebhookEndpointInput = {
  /** What it is for (at most 2,000 characters). */
  description?: InputMaybe<Scalars['String']['input']>;
  /** The event types to receive (see `webhookEventTypes`); at least one. */
  events: Array<Scalars['String']['input']>;
  /** Where to POST: an https URL on a public address. */
  url: Scalars['String']['input'];
};

/** A decision on a nomination under review. */
export type DecideNominationInput = {
  /** Whether the nominee is admitted. */
  decision: NominationDecision;
  /** The `version` the caller last read; a stale one is refused with `CONFLICT`. */
  expectedVersion: Scalars['Int']['input'];
  /** The nomination's global ID (`Nomination.id`). */
  nominationId: Scalars['ID']['input'];
  /** Why; required for every decision (1 to 2000 characters). */
  note: Scalars['String']['input'];
};

/** An account to disable, and why. */
export type DisableAccountInput = {
  /** The account's global ID (`Account.id`). */
  accountId: Scalars['ID']['input'];
  /** Why, for the record (at most 2,000 characters). */
  note?: InputMaybe<Scalars['String']['input']>;
};

/** An account to enable again. */
export type EnableAccountInput = {
  /** The account's global ID (`Account.id`). */
  accountId: Scalars['ID']['input'];
};

/** A membership to end, and when. */
export type EndFoundationMembershipInput = {
  /** The day it ended; not before it began. Its open board seats end with it. */
  endedOn: Scalars['Date']['input'];
  /** The `version` the caller last read; a stale one is refused with `CONFLICT`. */
  expectedVersion: Scalars['Int']['input'];
  /** The membership's global ID (`FoundationMembership.id`). */
  membershipId: Scalars['ID']['input'];
};

/** A nomination to endorse, with an optional comment. */
export type EndorseNominationInput = {
  /** Why the endorser backs it. */
  comment?: InputMaybe<Scalars['String']['input']>;
  /** The nomination's global ID (`Nomination.id`). */
  nominationId: Scalars['ID']['input'];
};

/** Which fellows to list. */
export type FellowFilter = {
  /** Only fellows with a contribution of this kind. */
  contributionKind?: InputMaybe<ContributionKind>;
  /** Text in the name, handle or headline (case-insensitive). */
  search?: InputMaybe<Scalars['String']['input']>;
  /** Only fellows with this status. */
  status?: InputMaybe<FellowStatus>;
  /** The slug of a strategic area the fellow works in. */
  strategicArea?: InputMaybe<Scalars['String']['input']>;
};

/** An order for a list of fellows. */
export type FellowOrder = {
  /** Which way; `ASC` when absent. */
  direction?: OrderDirection;
  /** What to order by. */
  field: FellowOrderField;
};

/** What fellows can be ordered by. */
export type FellowOrderField =
  /** By the day the fellow joined. */
  | 'JOINED_ON'
  /** By the fellow's name. */
  | 'NAME';

/** Whether a fellow is in the program now. */
export type FellowStatus =
  /** A current fellow. */
  | 'ACTIVE'
  /** A former fellow. */
  | 'ALUMNI';

/** Which memberships to list. */
export type FoundationMembershipFilter = {
  /** `true`: memberships that last; `false`: ended ones; absent: both. */
  active?: InputMaybe<Scalars['Boolean']['input']>;
  /** The slug of the foundation joined. */
  foundation?: InputMaybe<Scalars['String']['input']>;
  /** The slug of the member organization. */
  member?: InputMaybe<Scalars['String']['input']>;
  /** Only memberships at this tier. */
  tier?: InputMaybe<MembershipTier>;
};

/** A benefit to grant to an active fellow. */
export type GrantBenefitInput = {
  /** Details of the grant (at most 2,000 characters). */
  description?: InputMaybe<Scalars['String']['input']>;
  /** The fellow's global ID (`Fellow.id`). */
  fellowId: Scalars['ID']['input'];
  /** Today when absent. */
  grantedOn?: InputMaybe<Scalars['Date']['input']>;
  /** What to grant. */
  kind: BenefitKind;
};

/** A staff member to invite: a `STAFF` account for the person with this hub handle. */
export type InviteStaffMemberInput = {
  /** Their hub handle: what the `sub` of their tokens will name. */
  handle: Scalars['String']['input'];
  /**
   * Their name (one line, at most 200 characters); needed when the records do not
   * know the handle yet, ignored when they do.
   */
  name?: InputMaybe<Scalars['String']['input']>;
};

/** A labelled link, such as a profile or a project. */
export type LinkInput = {
  /** What the link points to, such as "GitHub" (1 to 50 characters). */
  label: Scalars['String']['input'];
  /** An http or https URL. */
  url: Scalars['String']['input'];
};

/** The level at which an organization is a member of a foundation. */
export type MembershipTier =
  /** An associate member; carries no board seat. */
  | 'ASSOCIATE'
  /** A general member; carries no board seat. */
  | 'GENERAL'
  /** The top tier; carries one seat on the foundation's governing board. */
  | 'PREMIER';

/** What staff decide about a nomination under review. */
export type NominationDecision =
  /** Admit the nominee: this creates the fellow. */
  | 'ACCEPT'
  /** Turn the nomination down. */
  | 'DECLINE';

/** Which events to receive. */
export type NominationEventFilter = {
  /**
   * Resume after the event with this cursor: every later event is sent first, in
   * order, then the live ones. Without it, only events from now on. Events are kept
   * for a limited time (7 days by default); an older cursor is refused.
   */
  after?: InputMaybe<Scalars['String']['input']>;
  /** Only events of these kinds. */
  kinds?: InputMaybe<Array<NominationEventKind>>;
  /**
   * Only the events of this nomination; one whose events the caller may not follow
   * is refused with `NOT_FOUND`.
   */
  nominationId?: InputMaybe<Scalars['ID']['input']>;
};

/** What happened to a nomination. */
export type NominationEventKind =
  /** Staff accepted it, which admitted the nominee as a fellow. */
  | 'ACCEPTED'
  /** Staff declined it. */
  | 'DECLINED'
  /** Someone endorsed it. */
  | 'ENDORSED'
  /** Staff started reviewing it. */
  | 'REVIEW_STARTED'
  /** The nomination was submitted. */
  | 'SUBMITTED'
  /** The nominator withdrew it. */
  | 'WITHDRAWN';

/** Which nominations to list. */
export type NominationFilter = {
  /** Only nominations in one of these states. */
  status?: InputMaybe<Array<NominationStatus>>;
};

/**
 * Where a nomination stands. `SUBMITTED -> UNDER_REVIEW -> ACCEPTED | DECLINED`, and
 * `SUBMITTED | UNDER_REVIEW -> WITHDRAWN`.
 */
export type NominationStatus =
  /** Accepted by staff, which admitted the nominee as a fellow. */
  | 'ACCEPTED'
  /** Declined by staff. */
  | 'DECLINED'
  /** Submitted and awaiting review; open. */
  | 'SUBMITTED'
  /** A staff member is reviewing it; open. */
  | 'UNDER_REVIEW'
  /** Withdrawn by the nominator before a decision. */
  | 'WITHDRAWN';

/** Which way a list is ordered. */
export type OrderDirection =
  /** Smallest first (A to Z, oldest first). */
  | 'ASC'
  /** Largest first (Z to A, newest first). */
  | 'DESC';

/** Which organizations to list. */
export type OrganizationFilter = {
  /** Only organizations of this kind. */
  kind?: InputMaybe<OrganizationKind>;
  /** Only organizations directly under the one with this slug. */
  parent?: InputMaybe<Scalars['String']['input']>;
  /** Text in the name or slug (case-insensitive). */
  search?: InputMaybe<Scalars['String']['input']>;
};

/** What sort of body an organization is. */
export type OrganizationKind =
  /** A university, school or research institute. */
  | 'ACADEMIC'
  /** A business. */
  | 'COMPANY'
  /** An open-source foundation; it may sit under an umbrella foundation. */
  | 'FOUNDATION'
  /** A government body. */
  | 'GOVERNMENT'
  /** A nonprofit body that is not a foundation. */
  | 'NONPROFIT'
  /** Anything else. */
  | 'OTHER';

/** An order for a list of organizations. */
export type OrganizationOrder = {
  /** Which way; `ASC` when absent. */
  direction?: OrderDirection;
  /** What to order by. */
  field: OrganizationOrderField;
};

/** What organizations can be ordered by. */
export type OrganizationOrderField =
  /** By the organization's name. */
  | 'NAME';

/** That an organization joined a foundation at a tier. */
export type RecordFoundationMembershipInput = {
  /** Where the membership was announced: an http or https URL. */
  announcementUrl?: InputMaybe<Scalars['String']['input']>;
  /** An organization of kind FOUNDATION. */
  foundationId: Scalars['ID']['input'];
  /** When it joined; not in the future. */
  joinedOn?: InputMaybe<Scalars['Date']['input']>;
  /** The organization that joined (`Organization.id`). */
  memberId: Scalars['ID']['input'];
  /** The tier it joined at. */
  tier: MembershipTier;
};

/** Which delivery to send again. */
export type RedeliverWebhookInput = {
  /** The delivery (`WebhookDelivery.id`). */
  deliveryId: Scalars['ID']['input'];
};

/** A contribution to remove from a fellow's record. */
export type RemoveContributionInput = {
  /** The contribution's global ID (`Contribution.id`). */
  contributionId: Scalars['ID']['input'];
};

/** Which partner token to revoke. */
export type RevokeApiTokenInput = {
  /** The token's global ID (`ApiToken.id`). */
  apiTokenId: Scalars['ID']['input'];
};

/** A benefit grant to revoke, and why. */
export type RevokeBenefitInput = {
  /** The grant's global ID (`BenefitGrant.id`). */
  benefitGrantId: Scalars['ID']['input'];
  /** Why (required). */
  note: Scalars['String']['input'];
};

/** A fellow's new status in the program. */
export type SetFellowStatusInput = {
  /** The `version` the caller last read; a stale one is refused with `CONFLICT`. */
  expectedVersion: Scalars['Int']['input'];
  /** The fellow's global ID (`Fellow.id`). */
  fellowId: Scalars['ID']['input'];
  /** `ALUMNI` makes the fellow an alumnus; `ACTIVE` makes them active again. */
  status: FellowStatus;
};

/** A submitted nomination to put under review. */
export type StartNominationReviewInput = {
  /** The `version` the caller last read; a stale one is refused with `CONFLICT`. */
  expectedVersion: Scalars['Int']['input'];
  /** The nomination's global ID (`Nomination.id`). */
  nominationId: Scalars['ID']['input'];
};

/** Which strategic areas to list. */
export type StrategicAreaFilter = {
  /** `true`: only archived areas; `false`: only current ones; absent: both. */
  archived?: InputMaybe<Scalars['Boolean']['input']>;
  /** Text in the name or slug (case-insensitive). */
  search?: InputMaybe<Scalars['String']['input']>;
};

/** An order for a list of strategic areas. */
export type StrategicAreaOrder = {
  /** Which way; `ASC` when absent. */
  direction?: OrderDirection;
  /** What to order by. */
  field: StrategicAreaOrderField;
};

/** What strategic areas can be ordered by. */
export type StrategicAreaOrderField =
  /** By the area's name. */
  | 'NAME';

/**
 * A nomination: who the nominee is, how they advanced open-source machine learning,
 * and what support would help them.
 */
export type SubmitNominationInput = {
  /** At most ten links. */
  links?: Array<LinkInput>;
  /** Private contact, seen only by staff and the nominator. */
  nomineeEmail: Scalars['String']['input'];
  /** The nominee's hub handle. */
  nomineeHandle: Scalars['String']['input'];
  /** The nominee's full name (1 to 200 characters). */
  nomineeName: Scalars['String']['input'];
  /** How the nominee advanced open-source machine learning. */
  rationale: Scalars['String']['input'];
  /** Slugs of the (current) strategic areas the nomination concerns. */
  strategicAreaSlugs?: Array<Scalars['String']['input']>;
  /** What support would make the nominee more impactful. */
  supportRequested?: InputMaybe<Scalars['String']['input']>;
};

/** Changes to a fellow's public profile; a field left out stays as it is. */
export type UpdateFellowProfileInput = {
  /** An empty string clears it. */
  bio?: InputMaybe<Scalars['String']['input']>;
  /** The `version` the caller last read; a stale one is refused with `CONFLICT`. */
  expectedVersion: Scalars['Int']['input'];
  /** The fellow's global ID (`Fellow.id`). */
  fellowId: Scalars['ID']['input'];
  /** An empty string clears it. */
  headline?: InputMaybe<Scalars['String']['input']>;
  /** Replaces the links (at most ten). */
  links?: InputMaybe<Array<LinkInput>>;
  /** The fellow's full name (1 to 200 characters). */
  name?: InputMaybe<Scalars['String']['input']>;
};

/** Changes to an organization; a field left out stays as it is. */
export type UpdateOrganizationInput = {
  /** An empty string clears it. */
  description?: InputMaybe<Scalars['String']['input']>;
  /** The `version` the caller last read; a stale one is refused with `CONFLICT`. */
  expectedVersion: Scalars['Int']['input'];
  /**
   * What sort of body it is. A foundation that memberships name stays a `FOUNDATION`:
   * changing its kind is refused with `CONFLICT`.
   */
  kind?: InputMaybe<OrganizationKind>;
  /** The organization's name (1 to 200 characters). */
  name?: InputMaybe<Scalars['String']['input']>;
  /** The organization's global ID (`Organization.id`). */
  organizationId: Scalars['ID']['input'];
  /** The umbrella organization; `null` removes it, absent leaves it. */
  parentId?: InputMaybe<Scalars['ID']['input']>;
  /** An empty string clears it. */
  websiteUrl?: InputMaybe<Scalars['String']['input']>;
};

/** Changes to a strategic area; a field left out stays as it is. */
export type UpdateStrategicAreaInput = {
  /** An empty string clears it. */
  description?: InputMaybe<Scalars['String']['input']>;
  /** The `version` the caller last read; a stale one is refused with `CONFLICT`. */
  expectedVersion: Scalars['Int']['input'];
  /** The area's name (1 to 200 characters). */
  name?: InputMaybe<Scalars['String']['input']>;
  /** The area's global ID (`StrategicArea.id`). */
  strategicAreaId: Scalars['ID']['input'];
};

/** A change of a webhook endpoint; what is left out stays as it is. */
export type UpdateWebhookEndpointInput = {
  /** A new description; `null` clears it. */
  description?: InputMaybe<Scalars['String']['input']>;
  /** Turn deliveries off, or on again (resuming where they stopped). */
  enabled?: InputMaybe<Scalars['Boolean']['input']>;
  /** The endpoint (`WebhookEndpoint.id`). */
  endpointId: Scalars['ID']['input'];
  /** A new list of event types. */
  events?: InputMaybe<Array<Scalars['String']['input']>>;
  /** A new URL. */
  url?: InputMaybe<Scalars['String']['input']>;
};

/** Why a mutation was refused. */
export type UserErrorCode =
  /** An argument is malformed or out of range. */
  | 'BAD_USER_INPUT'
  /** The change conflicts with the current state (for example a stale `expectedVersion`). */
  | 'CONFLICT'
  /**
   * A rule of the program forbids this change for this caller (nominating oneself,
   * deciding a nomination one submitted or endorsed).
   */
  | 'FORBIDDEN'
  /** An argument names something that does not exist. */
  | 'NOT_FOUND';

/** The kind of caller. */
export type ViewerRole =
  /** No token. */
  | 'ANONYMOUS'
  /** A fellow, with a user token of role `FELLOW`. */
  | 'FELLOW'
  /** A partner integration with an API token. */
  | 'PARTNER'
  /** A staff member of the program, with a user token of role `STAFF`. */
  | 'STAFF';

/** Where a delivery stands. */
export type WebhookDeliveryStatus =
  /** Every attempt of the retry schedule failed. */
  | 'FAILED'
  /** To be attempted at `nextAttemptAt`. */
  | 'PENDING'
  /** The receiver answered with a 2xx status. */
  | 'SUCCEEDED';

/** Which endpoint a mutation acts on. */
export type WebhookEndpointInput = {
  /** The endpoint (`WebhookEndpoint.id`). */
  endpointId: Scalars['ID']['input'];
};

/** An open nomination to withdraw. */
export type WithdrawNominationInput = {
  /** The `version` the caller last read; a stale one is refused with `CONFLICT`. */
  expectedVersion: Scalars['Int']['input'];
  /** The nomination's global ID (`Nomination.id`). */
  nominationId: Scalars['ID']['input'];
};

export type FellowsPageQueryVariables = Exact<{
  first?: InputMaybe<Scalars['Int']['input']>;
  after?: InputMaybe<Scalars['String']['input']>;
  last?: InputMaybe<Scalars['Int']['input']>;
  before?: InputMaybe<Scalars['String']['input']>;
}>;


export type FellowsPageQuery = { fellows: { totalCount: number, edges: Array<{ cursor: string, node: { id: string, handle: string, name: string, headline?: string | null } }>, pageInfo: { hasNextPage: boolean, hasPreviousPage: boolean, startCursor?: string | null, endCursor?: string | null } } };

export type FellowDetailQueryVariables = Exact<{
  handle: Scalars['String']['input'];
}>;


export type FellowDetailQuery = { fellow?: { id: string, handle: string, name: string, headline?: string | null, bio?: string | null, status: FellowStatus, joinedOn: string, links: Array<{ label: string, url: string }>, nominatedBy?: { name: string, handle?: string | null } | null, contributions: { nodes: Array<{ id: string, kind: ContributionKind, title: string, metric?: string | null, url?: string | null }> }, strategicAreas: { nodes: Array<{ slug: string, name: string }> } } | null };

export type SignedInViewerQueryVariables = Exact<{ [key: string]: never; }>;


export type SignedInViewerQuery = { viewer: { role: ViewerRole, handle?: string | null, person?: { name: string } | null } };

export type EventsCursorQueryVariables = Exact<{ [key: string]: never; }>;


export type EventsCursorQuery = { nominationEventsCursor?: string | null };

export type NominationEventsSubscriptionVariables = Exact<{
  after?: InputMaybe<Scalars['String']['input']>;
}>;


export type NominationEventsSubscription = { nominationEvents: { cursor: string, kind: NominationEventKind, occurredAt: string, actor?: { handle?: string | null, name: string } | null, nomination: { id: string, nomineeName: string, nomineeHandle: string, status: NominationStatus, version: number } } };


export const FellowsPageDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"FellowsPage"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"last"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"before"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"fellows"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}},{"kind":"Argument","name":{"kind":"Name","value":"last"},"value":{"kind":"Variable","name":{"kind":"Name","value":"last"}}},{"kind":"Argument","name":{"kind":"Name","value":"before"},"value":{"kind":"Variable","name":{"kind":"Name","value":"before"}}},{"kind":"Argument","name":{"kind":"Name","value":"orderBy"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"field"},"value":{"kind":"EnumValue","value":"NAME"}},{"kind":"ObjectField","name":{"kind":"Name","value":"direction"},"value":{"kind":"EnumValue","value":"ASC"}}]}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"handle"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"headline"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"hasPreviousPage"}},{"kind":"Field","name":{"kind":"Name","value":"startCursor"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]} as unknown as DocumentNode<FellowsPageQuery, FellowsPageQueryVariables>;
export const FellowDetailDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"FellowDetail"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"handle"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"fellow"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"handle"},"value":{"kind":"Variable","name":{"kind":"Name","value":"handle"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"handle"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"headline"}},{"kind":"Field","name":{"kind":"Name","value":"bio"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"joinedOn"}},{"kind":"Field","name":{"kind":"Name","value":"links"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"label"}},{"kind":"Field","name":{"kind":"Name","value":"url"}}]}},{"kind":"Field","name":{"kind":"Name","value":"nominatedBy"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"handle"}}]}},{"kind":"Field","name":{"kind":"Name","value":"contributions"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"20"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"metric"}},{"kind":"Field","name":{"kind":"Name","value":"url"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"strategicAreas"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"20"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"slug"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}}]}}]} as unknown as DocumentNode<FellowDetailQuery, FellowDetailQueryVariables>;
export const SignedInViewerDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"SignedInViewer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"viewer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"handle"}},{"kind":"Field","name":{"kind":"Name","value":"person"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}}]} as unknown as DocumentNode<SignedInViewerQuery, SignedInViewerQueryVariables>;
export const EventsCursorDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"EventsCursor"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"nominationEventsCursor"}}]}}]} as unknown as DocumentNode<EventsCursorQuery, EventsCursorQueryVariables>;
export const NominationEventsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"NominationEvents"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"nominationEvents"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}]}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"occurredAt"}},{"kind":"Field","name":{"kind":"Name","value":"actor"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"handle"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"nomination"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"nomineeName"}},{"kind":"Field","name":{"kind":"Name","value":"nomineeHandle"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"version"}}]}}]}}]}}]} as unknown as DocumentNode<NominationEventsSubscription, NominationEventsSubscriptionVariables>;