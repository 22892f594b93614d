"""One real Fabric network for the whole integration run (see `network_session`)."""

from network_session import fabric_network

__all__ = ["fabric_network"]
