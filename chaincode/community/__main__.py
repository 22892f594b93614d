"""``python -m chaincode.community --chaincode-id ... --address ... --tls-cert ...``"""

from chaincode.community import build_chaincode
from chaincode.runtime.server import main

raise SystemExit(main(build_chaincode, prog="python -m chaincode.community"))
