#!/usr/bin/env python3
"""A stand-in system under test for the example suites (until faultline-demo-node).

Listens on ADDRESS:PORT (so `ready: {tcp: PORT}` works), probes each peer once
a second with a TCP connect, and reports what it sees to its agent as
`log` events on $FAULTLINE_EVENTS (one JSON object per datagram), so the
history shows SUT events mapped onto the controller's timeline.
"""
import argparse, json, os, socket, threading, time

parser = argparse.ArgumentParser()
parser.add_argument("--listen", required=True)
parser.add_argument("--node", required=True)
parser.add_argument("--peers", default="")
args = parser.parse_args()
host, port = args.listen.rsplit(":", 1)
server = socket.create_server((host, int(port)))

def serve():
    while True:
        conn, _ = server.accept()
        conn.close()

threading.Thread(target=serve, daemon=True).start()
events = os.environ.get("FAULTLINE_EVENTS")
out = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) if events else None
peers = [p for p in args.peers.split(",") if p]
while True:
    reachable = []
    for peer in peers:
        h, p = peer.rsplit(":", 1)
        try:
            socket.create_connection((h, int(p)), timeout=0.3).close()
            reachable.append(peer)
        except OSError:
            pass
    if out:
        message = {"type": "log", "node": args.node,
                   "message": f"{args.node} reaches {len(reachable)}/{len(peers)} peers",
                   "reachable": reachable}
        try:
            out.sendto(json.dumps(message).encode(), events)
        except OSError:
            pass
    time.sleep(1)
