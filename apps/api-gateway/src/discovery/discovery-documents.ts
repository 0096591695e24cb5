import { ServedGroupVersion, ServedResource, SERVED_GROUP_VERSIONS } from './served-resources';

/** The Kubernetes release whose API conventions (and kubectl) natgw is built and tested against. */
export const KUBERNETES_COMPATIBILITY = { major: '1', minor: '31' };

const groupVersionOf = (gv: ServedGroupVersion) => ({
  groupVersion: `${gv.group}/${gv.version}`,
  version: gv.version,
});

/** `GET /api`: natgw serves no legacy (core) group, so no versions. */
export function apiVersions(): object {
  return { kind: 'APIVersions', versions: [], serverAddressByClientCIDRs: [] };
}

/** `GET /apis/<group>`: one APIGroup (undefined for a group natgw does not serve). */
export function apiGroup(group: string): object | undefined {
  const versions = SERVED_GROUP_VERSIONS.filter((gv) => gv.group === group);
  if (versions.length === 0) return undefined;
  return {
    kind: 'APIGroup',
    apiVersion: 'v1',
    name: group,
    versions: versions.map(groupVersionOf),
    preferredVersion: groupVersionOf(versions[0]),
  };
}

/** `GET /apis`: every group natgw serves. */
export function apiGroupList(): object {
  const groups = [...new Set(SERVED_GROUP_VERSIONS.map((gv) => gv.group))];
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: groups.map((g) => {
      const {
        kind: _kind,
        apiVersion: _apiVersion,
        ...group
      } = apiGroup(g) as Record<string, unknown>;
      return group;
    }),
  };
}

function apiResources(r: ServedResource): object[] {
  return [
    {
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
      shortNames: r.shortNames,
    },
    ...r.subresources.map((s) => ({
      name: `${r.plural}/${s.name}`,
      singularName: '',
      namespaced: r.namespaced,
      kind: s.kind,
      verbs: s.verbs,
    })),
  ];
}

/** `GET /apis/<group>/<version>`: the APIResourceList kubectl maps kinds, plurals and short names with. */
export function apiResourceList(gv: ServedGroupVersion): object {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: `${gv.group}/${gv.version}`,
    resources: gv.resources.flatMap(apiResources),
  };
}

// Node's names of CPU architectures, as Go (and so kubectl) spells them.
const GO_ARCH: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm' };

/** `GET /version`: the Kubernetes version natgw's API follows (kubectl reads it). */
export function versionInfo(): object {
  const { major, minor } = KUBERNETES_COMPATIBILITY;
  return {
    major,
    minor,
    gitVersion: `v${major}.${minor}.0+natgw`,
    gitCommit: '',
    gitTreeState: '',
    buildDate: '',
    goVersion: '',
    compiler: 'natgw',
    platform: `${process.platform}/${GO_ARCH[process.arch] ?? process.arch}`,
  };
}
