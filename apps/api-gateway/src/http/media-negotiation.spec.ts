import { ApiError } from './api-error';
import { negotiate } from './media-negotiation';

const BOTH = ['Table', 'PartialObjectMetadata'] as const;

describe('negotiate', () => {
  it.each([
    [undefined, { as: 'Object' }],
    ['', { as: 'Object' }],
    ['*/*', { as: 'Object' }],
    ['application/json', { as: 'Object' }],
    ['text/html,application/xhtml+xml,*/*;q=0.8', { as: 'Object' }],
    [
      'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json',
      { as: 'Table', version: 'v1' },
    ],
    ['application/json;as=Table;v=v1beta1;g=meta.k8s.io', { as: 'Table', version: 'v1beta1' }],
    [
      'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io',
      { as: 'PartialObjectMetadata', version: 'v1' },
    ],
    // A Table of another group, or weighted below plain JSON, is not chosen.
    ['application/json;as=Table;v=v1;g=example.com,application/json', { as: 'Object' }],
    ['application/json;as=Table;v=v1;g=meta.k8s.io;q=0.5,application/json', { as: 'Object' }],
    [
      'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json',
      { as: 'Object' },
    ],
    ['application/vnd.kubernetes.protobuf,application/json', { as: 'Object' }],
  ])('%s -> %j', (accept, representation) => {
    expect(negotiate(accept, BOTH)).toEqual(representation);
  });

  it('offers a conversion only where the route allows it', () => {
    expect(negotiate('application/json;as=Table;v=v1;g=meta.k8s.io,application/json')).toEqual({
      as: 'Object',
    });
  });

  it.each([
    'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
    'application/yaml',
    'application/json;q=0',
    'application/json;as=Table;v=v2;g=meta.k8s.io',
  ])('answers 406 NotAcceptable to %s', (accept) => {
    let error: unknown;
    try {
      negotiate(accept, BOTH);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toMatchObject({ code: 406, reason: 'NotAcceptable' });
  });
});
