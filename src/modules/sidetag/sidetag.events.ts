import type { DomainEvent } from '../../kernel/decider.js';
import type { Ref } from '../tags/tags.events.js';

export type RemovalReason =
  'requested' | 'empty' | 'cleanup-expired' | 'cleanup-empty' | 'cleanup-old' | 'cleanup-inactive';
/** Why a quota was given back: the sidetag went, or (koji-es) it was given to somebody else. */
export type ReleaseReason = RemovalReason | 'transferred';

/** Stream `sidetag-<tagId>`: the sidetag's life beside its tag and target streams. */
export type SideTagCreated = DomainEvent<
  'SideTagCreated',
  {
    id: number;
    name: string;
    user: Ref;
    basetag: Ref;
    debuginfo: boolean;
    suffix: string | null;
    time: string;
    /** koji-es: the owner's key for it (unique per owner and base tag while it lives). */
    label?: string | null;
  }
>;
export type SideTagEdited = DomainEvent<
  'SideTagEdited',
  { id: number; name: string; by: Ref; extraSet: Record<string, unknown>; extraRemoved: string[] }
>;
export type SideTagHeld = DomainEvent<
  'SideTagHeld',
  { id: number; name: string; by: Ref; reason: string; time: string }
>;
export type SideTagReleased = DomainEvent<
  'SideTagReleased',
  { id: number; name: string; by: Ref; time: string }
>;
export type SideTagRemoved = DomainEvent<
  'SideTagRemoved',
  { id: number; name: string; owner: Ref | null; reason: RemovalReason; by: Ref | null; time: string }
>;
/** koji-es: co-owners, who may tag builds into and out of the sidetag (the list is in its extra). */
interface CoOwnerChange {
  id: number;
  name: string;
  user: Ref;
  by: Ref;
}
export type SideTagCoOwnerAdded = DomainEvent<'SideTagCoOwnerAdded', CoOwnerChange>;
export type SideTagCoOwnerRemoved = DomainEvent<'SideTagCoOwnerRemoved', CoOwnerChange>;
/** koji-es: when the owner wants the sidetag gone (the cleanup's `expired` stage); null clears it. */
export type SideTagExpirySet = DomainEvent<
  'SideTagExpirySet',
  { id: number; name: string; expires: string | null; by: Ref }
>;
/** koji-es: the sidetag given to another owner, with its quota (and label, if any). */
export type SideTagTransferred = DomainEvent<
  'SideTagTransferred',
  { id: number; name: string; from: Ref | null; to: Ref; by: Ref }
>;
export type SideTagEvent =
  | SideTagExpirySet
  | SideTagTransferred
  | SideTagCreated
  | SideTagEdited
  | SideTagHeld
  | SideTagReleased
  | SideTagRemoved
  | SideTagCoOwnerAdded
  | SideTagCoOwnerRemoved;

/**
 * Stream `sidetag-user-<userId>`: the user's live sidetags, folded at the exact version the
 * creating append expects, so the policy's `number_of_tags` can never be exceeded by a race.
 */
export type SideTagQuotaTaken = DomainEvent<
  'SideTagQuotaTaken',
  {
    userId: number;
    sidetag: Ref;
    /** The user's live sidetags after this event, so the count is read from the last event alone. */
    count?: number;
    /** The sidetag's base tag, and the user's live sidetags per base tag id after this event. */
    basetag?: Ref;
    perBasetag?: Record<string, number>;
  }
>;
export type SideTagQuotaReleased = DomainEvent<
  'SideTagQuotaReleased',
  {
    userId: number;
    sidetag: Ref;
    reason: ReleaseReason;
    count?: number;
    basetag?: Ref;
    perBasetag?: Record<string, number>;
  }
>;
export type QuotaEvent = SideTagQuotaTaken | SideTagQuotaReleased;

/**
 * Stream `sidetag-label-<userId>-<basetagId>-<label>`: which live sidetag holds the label. Claimed in
 * the creating append, released in the removing one, so two creations with one label cannot both
 * succeed: the second conflicts, retries and finds the first.
 */
interface LabelClaim {
  label: string;
  userId: number;
  basetag: Ref;
  sidetag: Ref;
}
export type SideTagLabelClaimed = DomainEvent<'SideTagLabelClaimed', LabelClaim>;
export type SideTagLabelReleased = DomainEvent<'SideTagLabelReleased', LabelClaim>;
export type LabelEvent = SideTagLabelClaimed | SideTagLabelReleased;

export const SIDETAG_EVENT_TYPES = [
  'SideTagCreated',
  'SideTagEdited',
  'SideTagHeld',
  'SideTagReleased',
  'SideTagRemoved',
] as const;
