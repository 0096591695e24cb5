import { LogNotifier } from '@natgw/event-store';
import { RESOURCE_CHANGES_CHANNEL } from './resource-batch';

/**
 * Listens on the resource-changes channel and tells subscribers that changes
 * committed. It reconnects after a lost connection; watchers also poll, so a
 * notification missed meanwhile only delays them.
 */
export class ResourceChangeListener extends LogNotifier {
  constructor(url: string, onError: (err: Error) => void = () => undefined) {
    super(url, onError, RESOURCE_CHANGES_CHANNEL, 'natgw-listen-resources');
  }
}
