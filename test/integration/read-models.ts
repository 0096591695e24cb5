import { DataSource } from 'typeorm';

/**
 * The read models of the `resources` and `nat-slots` projections, without
 * resourceVersions (a rebuild hands out new ones): what two rebuilds that should
 * agree are compared by.
 */
export async function readModels(ds: DataSource) {
  return {
    resources: await ds.query(
      `SELECT kind, namespace, name, uid::text AS uid, stream_version, labels,
              (object #- '{metadata,resourceVersion}') AS object, subresources
         FROM natgw_resources ORDER BY kind, namespace, name`,
    ),
    slots: await ds.query(
      `SELECT gateway_uid::text AS gateway_uid, nic_uid::text AS nic_uid, nic_name, namespace,
              node_name, family, private_ip, nat_ip, port, end_port, vni
         FROM natgw_nat_slots ORDER BY gateway_uid, nic_uid`,
    ),
    versions: await ds.query(
      `SELECT gateway_uid::text AS gateway_uid, version, closed FROM natgw_allocation_versions
        ORDER BY gateway_uid`,
    ),
  };
}
