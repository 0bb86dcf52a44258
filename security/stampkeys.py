"""Stamp keys by hand: ``python -m security.stampkeys new|public|retire|service``.

Rotation, as with payload keys: ``new FILE --id s2`` adds a key and makes it the one that signs;
give the workers ``public FILE`` (old and new) before the codec server restarts with the file;
``retire FILE s1`` once no stamp signed with it is still fresh (``ICR_STAMP_FRESHNESS_HOURS``),
then hand the workers ``public FILE`` again. ``service STAFF_ID`` makes a service identity's
key: the private spec for ``ICR_SERVICE_KEY`` and the entry for the staff directory.
"""

import argparse
import json
import sys
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from security.signing import ServiceKey, StampKeys, private_b64


def main(argv: list[str] | None = None) -> int:
    root = argparse.ArgumentParser(prog="security.stampkeys", description=__doc__.splitlines()[0])
    sub = root.add_subparsers(dest="command", required=True)
    p = sub.add_parser("new", help="add a signing key and make it current (creates the file)")
    p.add_argument("file", type=Path)
    p.add_argument("--id", default="s1")
    p = sub.add_parser("public", help="print ICR_STAMP_PUBLIC_KEYS for the workers")
    p.add_argument("file", type=Path)
    p = sub.add_parser("env", help="print ICR_STAMP_KEYS and ICR_STAMP_PUBLIC_KEYS lines")
    p.add_argument("file", type=Path)
    p = sub.add_parser("retire", help="remove a key that no longer signs")
    p.add_argument("file", type=Path)
    p.add_argument("id")
    p = sub.add_parser("service", help="a service identity's key and directory entry")
    p.add_argument("staff_id")
    p.add_argument("--id", default="svc1")
    args = root.parse_args(argv)
    if args.command == "service":
        key = ServiceKey(args.staff_id, args.id, Ed25519PrivateKey.generate())
        print(f"ICR_SERVICE_KEY={key.spec()}")
        entry = {"id": args.staff_id, "roles": [], "service": True, "public_keys": key.public()}
        print(json.dumps(entry))
        return 0
    if args.command == "new" and not args.file.exists():
        StampKeys.generate(args.file, args.id)
        return 0
    keys = StampKeys.load(args.file)
    private = {k: private_b64(v) for k, v in keys.keys.items()}
    current = keys.current
    if args.command == "public":
        print(keys.public_spec())
        return 0
    if args.command == "env":  # the current key last: it is the one that signs
        order = [k for k in private if k != current] + [current]
        print("ICR_STAMP_KEYS=" + ",".join(f"{k}:{private[k]}" for k in order))
        print("ICR_STAMP_PUBLIC_KEYS=" + keys.public_spec())
        return 0
    if args.command == "new":
        private[args.id] = private_b64(Ed25519PrivateKey.generate())
        current = args.id
    elif args.id == keys.current or args.id not in private:
        print(f"cannot retire {args.id!r}: it is current or unknown", file=sys.stderr)
        return 2
    else:
        del private[args.id]
    args.file.write_text(json.dumps({"current": current, "keys": private}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
