import { MessagingInbox1700000100000 } from './1700000100000-messaging-inbox';

export { MessagingInbox1700000100000 };

/** The messaging library's migrations; pass them to `openDatabase({ migrations })`. */
export const MESSAGING_MIGRATIONS = [MessagingInbox1700000100000];
