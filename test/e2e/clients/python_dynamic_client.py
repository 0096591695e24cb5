"""The official Python client (Debian's python3-kubernetes) against natgw.

Drives kubernetes.dynamic.DynamicClient through one NATGateway's life and prints one
JSON line per step ({"step": ..., ...}) for the jest test to check. Nothing here
decides pass or fail: the test does, from the rules.

Environment: NATGW_SERVER (https://127.0.0.1:port or http://...), NATGW_TOKEN
(optional), NATGW_CA_FILE (optional), NATGW_NAMESPACE, NATGW_CACHE_FILE.
"""
import json
import os
import sys

from kubernetes import client
from kubernetes.client.rest import ApiException
from kubernetes.dynamic import DynamicClient

API_VERSION = "networking.ironcore.dev/v1alpha1"
NS = os.environ["NATGW_NAMESPACE"]


def emit(step, **data):
    print(json.dumps({"step": step, **data}), flush=True)


def api_client():
    config = client.Configuration()
    config.host = os.environ["NATGW_SERVER"]
    token = os.environ.get("NATGW_TOKEN")
    if token:
        config.api_key = {"authorization": token}
        config.api_key_prefix = {"authorization": "Bearer"}
    ca = os.environ.get("NATGW_CA_FILE")
    if ca:
        config.ssl_ca_cert = ca
    return client.ApiClient(config)


def failure(err):
    body = json.loads(err.body) if err.body else {}
    return {"status": err.status, "reason": body.get("reason"), "kind": body.get("kind")}


def main():
    dyn = DynamicClient(api_client(), cache_file=os.environ["NATGW_CACHE_FILE"])
    gateways = dyn.resources.get(api_version=API_VERSION, kind="NATGateway")
    networks = dyn.resources.get(api_version=API_VERSION, kind="Network")
    emit(
        "discovery",
        name=gateways.name,
        namespaced=gateways.namespaced,
        verbs=sorted(gateways.verbs),
        shortNames=sorted(gateways.short_names),
        networkName=networks.name,
    )

    networks.create(
        body={"apiVersion": API_VERSION, "kind": "Network", "metadata": {"name": "py-net"}},
        namespace=NS,
    )
    created = []
    for name, app in (("py-gw", "py"), ("py-other", "other")):
        obj = gateways.create(
            body={
                "apiVersion": API_VERSION,
                "kind": "NATGateway",
                "metadata": {"name": name, "labels": {"app": app}},
                "spec": {
                    "type": "Public",
                    "ipFamily": "IPv4",
                    "portsPerNetworkInterface": 1024,
                    "networkRef": {"name": "py-net"},
                },
            },
            namespace=NS,
        )
        created.append(
            {"name": obj.metadata.name, "uid": obj.metadata.uid, "rv": obj.metadata.resourceVersion}
        )
    emit("create", objects=created)

    by_label = gateways.get(namespace=NS, label_selector="app=py")
    by_field = gateways.get(namespace=NS, field_selector="metadata.name=py-other")
    by_set = gateways.get(namespace=NS, label_selector="app in (py,other),app!=py")
    emit(
        "list",
        kind=by_label.kind,
        byLabel=[o.metadata.name for o in by_label.items],
        byField=[o.metadata.name for o in by_field.items],
        bySet=[o.metadata.name for o in by_set.items],
        resourceVersion=by_label.metadata.resourceVersion,
    )

    seen = []
    ready = None
    for event in gateways.watch(
        namespace=NS, field_selector="metadata.name=py-gw", timeout=120
    ):
        obj = event["raw_object"]
        conditions = (obj.get("status") or {}).get("conditions") or []
        status = next((c["status"] for c in conditions if c["type"] == "Ready"), None)
        seen.append({"type": event["type"], "name": obj["metadata"]["name"], "ready": status})
        if status == "True":
            ready = obj
            break
    emit(
        "watch",
        events=seen,
        ips=[ip["ip"] for ip in ((ready or {}).get("status") or {}).get("ips", [])],
    )

    patched = gateways.patch(
        name="py-gw",
        namespace=NS,
        body={"metadata": {"labels": {"patched": "yes"}}, "spec": {"portsPerNetworkInterface": 2048}},
        content_type="application/merge-patch+json",
    )
    emit(
        "patch",
        labels=dict(patched.metadata.labels),
        portsPerNetworkInterface=patched.spec.portsPerNetworkInterface,
        rv=patched.metadata.resourceVersion,
    )

    stale = gateways.get(name="py-other", namespace=NS).to_dict()
    gateways.patch(
        name="py-other",
        namespace=NS,
        body={"metadata": {"annotations": {"touched": "1"}}},
        content_type="application/merge-patch+json",
    )
    stale["metadata"]["labels"]["app"] = "stale-write"
    try:
        gateways.replace(body=stale, namespace=NS)
        emit("conflict", status=200)
    except ApiException as err:
        emit("conflict", **failure(err))
    emit("after-conflict", labels=dict(gateways.get(name="py-other", namespace=NS).metadata.labels))

    deleted = gateways.delete(name="py-gw", namespace=NS)
    try:
        after = gateways.get(name="py-gw", namespace=NS)
        emit(
            "delete",
            deletedKind=deleted.kind,
            getAfter=200,
            deletionTimestamp=after.metadata.deletionTimestamp,
        )
    except ApiException as err:
        emit("delete", deletedKind=deleted.kind, getAfter=failure(err)["status"])

if __name__ == "__main__":
    try:
        main()
    except ApiException as err:
        print(f"unexpected API failure: {err.status} {err.body}", file=sys.stderr)
        sys.exit(2)
