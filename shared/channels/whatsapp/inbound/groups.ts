/** The fields that tell an item of a WhatsApp group (Groups API) from one of a 1:1 chat. */
export interface GroupMarks {
  readonly group_id?: string | undefined;
  readonly recipient_type?: string | undefined;
}

/**
 * Whether an item is about a WhatsApp group rather than one customer: a message sent in a group
 * carries `group_id` (its `from` is the participant who wrote, not a 1:1 customer), and a status of
 * the business's message to a group names the group as recipient (`recipient_type: "group"`,
 * `recipient_id` the group id). Meta documents neither on `smb_message_echoes`; an echo carrying
 * one is taken as of a group all the same. The contract has no group conversations yet, so such an
 * item is kept whole as `provider.unsupported` under no customer: it never opens, refreshes or
 * answers a 1:1 conversation (the helpdesk's reply would go privately to the participant).
 */
export const isGroupItem = (item: GroupMarks): boolean =>
  item.group_id !== undefined || item.recipient_type === 'group';
