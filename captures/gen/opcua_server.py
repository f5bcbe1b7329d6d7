#!/usr/bin/env python3
"""asyncua OPC UA server used to generate otscope captures.

Usage: opcua_server.py --host IP --port 4840 --pki DIR [--info-json FILE]

Endpoints: None, Basic256Sha256 Sign, Basic256Sha256 SignAndEncrypt.
Identity tokens: Anonymous and UserName (user "operator" only).
A self-signed application certificate (RSA 2048) is generated at run time
in --pki (server_cert.der / server_key.pem); the same directory receives the
client certificate from opcua_client.py. No host name goes into either.
"""
import argparse
import asyncio
import datetime
import ipaddress
import json
import logging
import signal
from pathlib import Path

from asyncua import Server, ua, uamethod
from asyncua.crypto import cert_gen
from asyncua.crypto.permission_rules import User, UserRole
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

IDENTITY = {
    "application_uri": "urn:otscope:test:opcua-server",
    "product_uri": "urn:otscope:test:product:opcua-sim",
    "application_name": "OTScope OPC UA Test Server",
    "manufacturer_name": "OTScope Test Automation GmbH",
    "product_name": "OTScope UA Sim",
    "software_version": "7.3.1-ots",
    "build_number": "4711",
    "build_date": "2026-01-15T08:30:00+00:00",
    "namespace_uri": "urn:otscope:test:plant",
    "certificate_common_name": "OTScope OPC UA Test Server",
    "certificate_subject_o": "OTScope Test Automation GmbH",
}
USERS = {"operator": "ots-Passw0rd!"}


class OtsUserManager:
    def get_user(self, iserver, username=None, password=None, certificate=None):
        if username is None:
            return User(role=UserRole.User)          # anonymous (certificate may be b"" on None channels)
        if username in USERS and password == USERS[username]:
            return User(role=UserRole.User, name=username)
        return None                                   # BadUserAccessDenied


def make_cert(pki: Path, name: str, uri: str, ip: str, server: bool):
    key = cert_gen.generate_private_key()
    cert = cert_gen.generate_self_signed_app_certificate(
        key, name, {"organizationName": IDENTITY["certificate_subject_o"], "countryName": "DE"},
        [x509.UniformResourceIdentifier(uri), x509.IPAddress(ipaddress.ip_address(ip))],
        [ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH], days=3650)
    stem = "server" if server else "client"
    (pki / f"{stem}_cert.der").write_bytes(cert.public_bytes(serialization.Encoding.DER))
    (pki / f"{stem}_key.pem").write_bytes(cert_gen.dump_private_key_as_pem(key))
    return pki / f"{stem}_cert.der", pki / f"{stem}_key.pem"


@uamethod
def multiply(parent, a, b):
    return a * b


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, default=4840)
    ap.add_argument("--pki", required=True)
    ap.add_argument("--info-json")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    pki = Path(args.pki)
    pki.mkdir(parents=True, exist_ok=True)
    cert, key = make_cert(pki, IDENTITY["certificate_common_name"], IDENTITY["application_uri"], args.host, True)

    server = Server(user_manager=OtsUserManager())
    await server.init()
    endpoint = f"opc.tcp://{args.host}:{args.port}/otscope/ua/"
    server.set_endpoint(endpoint)
    server.set_server_name(IDENTITY["application_name"])
    await server.set_application_uri(IDENTITY["application_uri"])
    server.product_uri = IDENTITY["product_uri"]
    server.manufacturer_name = IDENTITY["manufacturer_name"]
    await server.set_build_info(IDENTITY["product_uri"], IDENTITY["manufacturer_name"], IDENTITY["product_name"],
                                IDENTITY["software_version"], IDENTITY["build_number"],
                                datetime.datetime.fromisoformat(IDENTITY["build_date"]))
    server.set_security_policy([ua.SecurityPolicyType.NoSecurity,
                                ua.SecurityPolicyType.Basic256Sha256_Sign,
                                ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt])
    server.set_identity_tokens([ua.AnonymousIdentityToken, ua.UserNameIdentityToken])
    await server.load_certificate(str(cert))
    await server.load_private_key(str(key))

    idx = await server.register_namespace(IDENTITY["namespace_uri"])
    boiler = await server.nodes.objects.add_object(ua.NodeId("Boiler1", idx), ua.QualifiedName("Boiler1", idx))
    temp = await boiler.add_variable(ua.NodeId("Boiler1.Temperature", idx), ua.QualifiedName("Temperature", idx),
                                     21.5, ua.VariantType.Double)
    await temp.set_writable()
    await boiler.add_variable(ua.NodeId("Boiler1.Pressure", idx), ua.QualifiedName("Pressure", idx),
                              1.25, ua.VariantType.Float)
    await boiler.add_variable(ua.NodeId("Boiler1.State", idx), ua.QualifiedName("State", idx),
                              "RUNNING", ua.VariantType.String)
    await boiler.add_method(ua.NodeId("Boiler1.Multiply", idx), ua.QualifiedName("Multiply", idx), multiply,
                            [ua.VariantType.Int32, ua.VariantType.Int32], [ua.VariantType.Int32])

    if args.info_json:
        with open(args.info_json, "w") as f:
            json.dump({"stack": "asyncua Server", "endpoint_url": endpoint,
                       "security_policies": ["None", "Basic256Sha256 Sign", "Basic256Sha256 SignAndEncrypt"],
                       "identity_tokens": ["Anonymous", "UserName"], "users": list(USERS),
                       "nodes": {"ns": IDENTITY["namespace_uri"],
                                 "variables": ["Boiler1.Temperature (Double, writable, 21.5)",
                                               "Boiler1.Pressure (Float 1.25)", "Boiler1.State (String RUNNING)"],
                                 "methods": ["Boiler1.Multiply(Int32, Int32) -> Int32"]},
                       "identity_strings": IDENTITY}, f, indent=2)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
