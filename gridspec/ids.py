"""The one spelling of an identifier a client chooses: meter, event, consent, campaign ids.

1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit: safe inside
composite state keys (no '~', no NUL) and in URLs. The chaincode, the API's schemas
and the client's Green Button code all check ids against this one pattern.
"""

from __future__ import annotations

import re

__all__ = ["IDENTIFIER"]

IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
