import { apiErrors } from './api-error';

/** The group of the representations kubectl asks for with `as=`: `meta.k8s.io`. */
export const META_GROUP = 'meta.k8s.io';

/** A representation natgw can answer a read with besides the object itself. */
export type Conversion = 'Table' | 'PartialObjectMetadata';

/** How to answer: the object (or list) itself, or a meta.k8s.io conversion of it. */
export type Representation = { as: 'Object' } | { as: Conversion; version: 'v1' | 'v1beta1' };

export interface MediaRange {
  type: string;
  params: Map<string, string>;
  q: number;
}

const JSON_RANGES = new Set(['application/json', 'application/*', '*/*']);

/** The media ranges of an Accept header, most preferred first (q=0 ones dropped). */
export function parseAccept(header: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const part of header.split(',')) {
    const [type, ...rest] = part.split(';').map((s) => s.trim());
    if (!type) continue;
    const params = new Map<string, string>();
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq > 0) params.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim());
    }
    const q = params.has('q') ? Number(params.get('q')) : 1;
    ranges.push({ type: type.toLowerCase(), params, q: Number.isFinite(q) ? q : 0 });
  }
  // Stable: equal weights keep the client's order, which is its preference.
  return ranges.filter((r) => r.q > 0).sort((a, b) => b.q - a.q);
}

function representationOf(
  range: MediaRange,
  offers: readonly Conversion[],
): Representation | undefined {
  if (!JSON_RANGES.has(range.type)) return undefined;
  const as = range.params.get('as');
  if (as === undefined) return { as: 'Object' };
  const version = range.params.get('v');
  if (range.params.get('g') !== META_GROUP || (version !== 'v1' && version !== 'v1beta1'))
    return undefined;
  const conversion = as === 'PartialObjectMetadataList' ? 'PartialObjectMetadata' : as;
  return offers.includes(conversion as Conversion)
    ? { as: conversion as Conversion, version }
    : undefined;
}

/**
 * Content negotiation the Kubernetes way: the first media range of the Accept
 * header (by weight, then order) that natgw serves decides. natgw answers JSON;
 * with `;as=Table;g=meta.k8s.io;v=v1` (what `kubectl get` asks for) a Table, and
 * with `;as=PartialObjectMetadata` the metadata only, where `offers` allows them.
 * Ranges for other representations (aggregated discovery, protobuf, YAML) are
 * passed over, so a client that lists plain JSON after them falls back to it; a
 * client that accepts none of natgw's gets 406. No Accept header means JSON.
 */
export function negotiate(
  accept: string | undefined,
  offers: readonly Conversion[] = [],
): Representation {
  if (accept === undefined || accept.trim() === '') return { as: 'Object' };
  for (const range of parseAccept(accept)) {
    const representation = representationOf(range, offers);
    if (representation) return representation;
  }
  const served = [
    'application/json',
    ...offers.map((o) => `application/json;as=${o};v=v1;g=${META_GROUP}`),
  ];
  throw apiErrors.notAcceptable(
    `the server cannot answer in any of the requested media types (${accept.slice(0, 200)}): it serves ${served.join(', ')}`,
  );
}
