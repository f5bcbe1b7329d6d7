#!/usr/bin/env python3
"""asyncua OPC UA client sessions used to generate otscope captures.

Usage: opcua_client.py --host IP --port N --mode none|encrypted|short --pki DIR --ops-json FILE

none      : GetEndpoints (own connection), session 1 on SecurityPolicy None with an
            Anonymous token: read BuildInfo/ServerStatus, browse, read, write,
            subscription with a data change, method call; then session 2 on None
            with a UserName token ("operator"), a read, and a failed login with a
            wrong password (BadUserAccessDenied).
encrypted : GetEndpoints, then Basic256Sha256 SignAndEncrypt with a self-signed
            client certificate and a UserName token; read/browse/write/call.
short     : GetEndpoints + one anonymous None session with a few reads.
"""
import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path

from asyncua import Client, ua
from asyncua.crypto.security_policies import SecurityPolicyBasic256Sha256

sys.path.insert(0, str(Path(__file__).resolve().parent))
from opcua_server import IDENTITY, USERS, make_cert  # noqa: E402

CLIENT_URI = "urn:otscope:test:opcua-client"
CLIENT_NAME = "OTScope UA Test Client"
OPS = []


def jsonable(v):
    if isinstance(v, (int, float, str, bool)) or v is None:
        return v
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    return str(v)


async def op(session, name, coro, **params):
    entry = {"seq": len(OPS) + 1, "session": session, "op": name, "params": params}
    try:
        res = await coro
        entry["result"] = "ok"
        if res is not None:
            entry["value"] = jsonable(res)
    except Exception as exc:  # noqa: BLE001
        entry["result"] = "failed"
        entry["error"] = f"{type(exc).__name__}: {exc}"
    OPS.append(entry)
    print(json.dumps(entry)[:300])
    await asyncio.sleep(0.1)
    return entry


def new_client(url):
    c = Client(url, timeout=5)
    c.application_uri = CLIENT_URI
    c.name = CLIENT_NAME
    c.description = CLIENT_NAME
    c.product_uri = "urn:otscope:test:product:ua-client"
    return c


async def get_endpoints(url, session):
    c = new_client(url)
    eps = await c.connect_and_get_server_endpoints()
    return [{"url": e.EndpointUrl, "policy": e.SecurityPolicyUri, "mode": e.SecurityMode.name,
             "tokens": [t.TokenType.name for t in e.UserIdentityTokens],
             "server_application_uri": e.Server.ApplicationUri,
             "server_product_uri": e.Server.ProductUri,
             "server_name": e.Server.ApplicationName.Text} for e in eps]


async def work(c, session, write=True, subscribe=False, call=True):
    idx = await c.get_namespace_index(IDENTITY["namespace_uri"])
    build = c.get_node(ua.NodeId(ua.ObjectIds.Server_ServerStatus_BuildInfo))
    await op(session, "read BuildInfo", build.read_value(), node="i=2260")
    await op(session, "read ServerStatus.State", c.get_node(ua.NodeId(ua.ObjectIds.Server_ServerStatus_State)).read_value(),
             node="i=2259")
    boiler = c.get_node(ua.NodeId("Boiler1", idx))

    async def browse():
        return [str((await ch.read_browse_name()).Name) for ch in await boiler.get_children()]
    await op(session, "browse Boiler1", browse(), node=f"ns={idx};s=Boiler1")
    temp = c.get_node(ua.NodeId("Boiler1.Temperature", idx))
    await op(session, "read Temperature", temp.read_value(), node=f"ns={idx};s=Boiler1.Temperature")
    await op(session, "read State", c.get_node(ua.NodeId("Boiler1.State", idx)).read_value(),
             node=f"ns={idx};s=Boiler1.State")
    if subscribe:
        class Handler:
            changes = []

            def datachange_notification(self, node, val, data):
                Handler.changes.append(val)

        sub = await c.create_subscription(100, Handler())
        await op(session, "create_subscription + monitor Temperature",
                 sub.subscribe_data_change(temp), publishing_interval_ms=100)
        await asyncio.sleep(0.4)
    if write:
        await op(session, "write Temperature", temp.write_value(ua.DataValue(ua.Variant(23.75, ua.VariantType.Double))),
                 value=23.75)
        await op(session, "read Temperature", temp.read_value(), node=f"ns={idx};s=Boiler1.Temperature")
    if subscribe:
        await asyncio.sleep(0.5)
        OPS.append({"seq": len(OPS) + 1, "session": session, "op": "data change notifications received",
                    "result": "ok", "value": jsonable(Handler.changes)})
        await op(session, "delete_subscription", sub.delete())
    if call:
        await op(session, "call Multiply(6, 7)",
                 boiler.call_method(ua.NodeId("Boiler1.Multiply", idx), ua.Variant(6, ua.VariantType.Int32),
                                    ua.Variant(7, ua.VariantType.Int32)), method=f"ns={idx};s=Boiler1.Multiply")


async def session_run(url, session, *, user=None, password=None, security=None, **kw):
    c = new_client(url)
    if user:
        c.set_user(user)
        c.set_password(password)
    if security:
        await c.set_security(SecurityPolicyBasic256Sha256, certificate=str(security[0]), private_key=str(security[1]),
                             mode=ua.MessageSecurityMode.SignAndEncrypt)
    e = await op(session, "connect (HEL/OPN/CreateSession/ActivateSession)", c.connect(),
                 security="Basic256Sha256 SignAndEncrypt" if security else "None",
                 token=f"UserName {user}" if user else "Anonymous")
    if e["result"] != "ok":
        return
    await work(c, session, **kw)
    await op(session, "disconnect (CloseSession/CLO)", c.disconnect())


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, default=4840)
    ap.add_argument("--mode", choices=("none", "encrypted", "short"), required=True)
    ap.add_argument("--pki", required=True)
    ap.add_argument("--ops-json", required=True)
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)
    url = f"opc.tcp://{args.host}:{args.port}/otscope/ua/"
    user = "operator"
    await op(0, "GetEndpoints", get_endpoints(url, 0))
    await asyncio.sleep(0.2)
    if args.mode == "none":
        await session_run(url, 1, subscribe=True)
        await asyncio.sleep(0.2)
        await session_run(url, 2, user=user, password=USERS[user], write=False, call=False)
        await asyncio.sleep(0.2)
        await session_run(url, 3, user=user, password="wrong-password", write=False, call=False)
    elif args.mode == "encrypted":
        cert = make_cert(Path(args.pki), CLIENT_NAME, CLIENT_URI, "10.77.0.20", False)
        await session_run(url, 1, user=user, password=USERS[user], security=cert)
    else:
        await session_run(url, 1, write=False, call=False)
    with open(args.ops_json, "w") as f:
        json.dump({"client": "asyncua Client", "client_application_uri": CLIENT_URI, "client_name": CLIENT_NAME,
                   "endpoint_url": url, "username": user, "operations": OPS,
                   "failed": [f"session {e['session']}: {e['op']}" for e in OPS if e["result"] != "ok"]}, f, indent=2)
    if OPS[0]["result"] != "ok":
        raise SystemExit("GetEndpoints failed")


if __name__ == "__main__":
    asyncio.run(main())
