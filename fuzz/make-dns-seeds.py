#!/usr/bin/env python3
"""Writes the seeds of the dns_reply fuzz target into fuzz/seeds/dns_reply/.

    python3 fuzz/make-dns-seeds.py          # needs dnspython (pip install dnspython)

Each seed is a selector byte (0: the question is of type A, 1: SRV) followed by a DNS
reply as a server sends it for discovery's questions: built as dnspython messages
(dns.message.make_response to a dns.message.make_query) and encoded by dnspython's
to_wire(), which compresses names as DNS servers do (each repeated suffix becomes a
pointer back to its first occurrence). Replies shaped after Kubernetes' CoreDNS: A
answers of a headless service, SRV answers of a StatefulSet's service with the
targets' A records in the additional section, a CNAME before the A records, an
NXDOMAIN with the zone's SOA in the authority section, an SRV target that compresses
into another answer's target, and an empty NOERROR answer. Files are named by the
SHA-1 of their content (16 hex digits); cmin-* files are left in place.
"""

import hashlib
import os
import sys

import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

A, SRV = 0, 1
ZONE = "default.svc.cluster.local."


def reply(qname, qtype, answers=(), additional=(), authority=(), rcode=dns.rcode.NOERROR):
    q = dns.message.make_query(qname, qtype, id=0x1f2e)
    r = dns.message.make_response(q)
    r.flags |= dns.flags.AA | dns.flags.RA
    r.set_rcode(rcode)
    for section, rrsets in ((r.answer, answers), (r.additional, additional), (r.authority, authority)):
        for name, ttl, rtype, datas in rrsets:
            section.append(dns.rrset.from_text_list(name, ttl, dns.rdataclass.IN, rtype, datas))
    return r.to_wire()


def seeds():
    svc = "app-headless." + ZONE
    yield A, reply(svc, "A", [(svc, 30, "A", ["10.244.0.5", "10.244.1.7", "10.244.2.9"])])
    yield A, reply(
        "app." + ZONE,
        "A",
        [("app." + ZONE, 5, "CNAME", [svc]), (svc, 30, "A", ["10.244.0.5", "10.244.1.7"])],
    )
    srv = "_erlang._tcp.app." + ZONE
    pods = ["app-%d.app.%s" % (i, ZONE) for i in range(3)]
    yield SRV, reply(
        srv,
        "SRV",
        [(srv, 30, "SRV", ["0 33 4370 " + p for p in pods])],
        additional=[(p, 30, "A", ["10.244.%d.5" % i]) for i, p in enumerate(pods)],
    )
    yield SRV, reply(
        "app." + ZONE,
        "SRV",
        [("app." + ZONE, 30, "SRV", ["10 100 9100 " + pods[0], "20 50 9100 " + pods[1]])],
    )
    # A target that is another answer's owner name: its whole name is one pointer.
    yield SRV, reply(
        srv,
        "SRV",
        [(srv, 30, "SRV", ["0 100 4370 app." + ZONE]), ("app." + ZONE, 30, "A", ["10.244.0.5"])],
    )
    soa = "ns.dns.cluster.local. hostmaster.cluster.local. 1700000000 7200 1800 86400 30"
    yield A, reply(
        "gone." + ZONE,
        "A",
        authority=[("cluster.local.", 30, "SOA", [soa])],
        rcode=dns.rcode.NXDOMAIN,
    )
    yield SRV, reply(srv, "SRV")


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds", "dns_reply")
    os.makedirs(root, exist_ok=True)
    for f in os.listdir(root):
        if len(f) == 16 and not f.startswith("cmin-"):
            os.remove(os.path.join(root, f))
    for selector, wire in seeds():
        data = bytes([selector]) + wire
        name = hashlib.sha1(data).hexdigest()[:16]
        with open(os.path.join(root, name), "wb") as f:
            f.write(data)
        print(f"{name}: {'A' if selector == A else 'SRV'} reply, {len(wire)} bytes", file=sys.stderr)


main()
