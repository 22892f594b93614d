"""``python -m chaincode.consortium --chaincode-id ... --address ... --tls-cert ...``"""

from chaincode.consortium import build_chaincode
from chaincode.runtime.server import main

raise SystemExit(main(build_chaincode, prog="python -m chaincode.consortium"))
