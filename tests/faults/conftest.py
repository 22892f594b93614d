"""The fault suite runs on the same session network as the integration suite.

It runs last (`testpaths` order), because it kills nodes; every test restarts what it
killed and waits until the network is whole again before it ends.
"""

from network_session import fabric_network

__all__ = ["fabric_network"]
