"""Test-only launcher for cpppo's EtherNet/IP Logix simulator (cpppo is GPL: never imported by product code).

Same command line as ``python -m cpppo.server.enip``; two additions a restarted "PLC" needs:
- ``CPPPO_INIT`` (JSON {tag: value}) gives tags initial values, so a restarted peer can hold the counts the
  machine made while it was unreachable (a real controller keeps its memory across a network outage);
- ``CPPPO_MAX_BYTES`` raises the 488-byte reply cap for big multi-reads (benchmark).
"""

import json
import os
import sys

from cpppo.server.enip import device, logix
from cpppo.server.enip.main import main

INIT = json.loads(os.environ.get("CPPPO_INIT") or "{}")
if os.environ.get("CPPPO_MAX_BYTES"):
    logix.Logix.MAX_BYTES = int(os.environ["CPPPO_MAX_BYTES"])


class InitAttribute(device.Attribute):
    def __init__(self, name, type_cls, default=0, **kwds):
        if name in INIT:
            value = INIT[name]
            default = type(default[0])(value) if isinstance(default, list) and not isinstance(value, list) \
                else ([type(default[0])(v) for v in value] if isinstance(default, list) else type(default)(value))
        super().__init__(name, type_cls, default=default, **kwds)


if __name__ == "__main__":
    sys.exit(main(attribute_class=InitAttribute))
