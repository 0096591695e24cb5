import type { ApiRequest } from '../http/api-request';
import { forbidden } from './forbidden';

const req = (method: string, path: string, query: Record<string, string> = {}) =>
  ({ method, url: path, query }) as unknown as ApiRequest;

describe('forbidden', () => {
  it.each([
    [
      'POST',
      '/apis/networking.ironcore.dev/v1alpha1/namespaces/default/natgateways',
      {},
      'natgateways.networking.ironcore.dev is forbidden: User "viewer" cannot create resource "natgateways" in API group "networking.ironcore.dev" in the namespace "default": why',
    ],
    [
      'PATCH',
      '/apis/networking.ironcore.dev/v1alpha1/namespaces/team-b/natgateways/gw',
      {},
      'natgateways.networking.ironcore.dev "gw" is forbidden: User "viewer" cannot patch resource "natgateways" in API group "networking.ironcore.dev" in the namespace "team-b": why',
    ],
    [
      'GET',
      '/apis/networking.ironcore.dev/v1alpha1/natgateways',
      { watch: 'true' },
      'natgateways.networking.ironcore.dev is forbidden: User "viewer" cannot watch resource "natgateways" in API group "networking.ironcore.dev" at the cluster scope: why',
    ],
    [
      'GET',
      '/apis/networking.ironcore.dev/v1alpha1/namespaces/x/natgateways/gw/nattable',
      {},
      'natgateways.networking.ironcore.dev "gw" is forbidden: User "viewer" cannot get resource "natgateways/nattable" in API group "networking.ironcore.dev" in the namespace "x": why',
    ],
    [
      'DELETE',
      '/apis/natgw.ironcore.dev/v1alpha1/ippools/pool-a',
      {},
      'ippools.natgw.ironcore.dev "pool-a" is forbidden: User "viewer" cannot delete resource "ippools" in API group "natgw.ironcore.dev" at the cluster scope: why',
    ],
  ])('words %s %s like the Kubernetes authorizer', (method, path, query, message) => {
    const error = forbidden(req(method, path, query), 'viewer', 'why');
    expect(error.status).toMatchObject({ code: 403, reason: 'Forbidden', message });
  });
});
